"""The rule registry: one module per rule, one line here per rule."""

from __future__ import annotations

from dockerfix.rules.base import Rule
from dockerfix.rules.cache_mount import CacheMount
from dockerfix.rules.consistent_instruction_casing import ConsistentInstructionCasing
from dockerfix.rules.copy_ignored_file import CopyIgnoredFile
from dockerfix.rules.credential_file_copy import CredentialFileCopy
from dockerfix.rules.cross_compile import CrossCompile
from dockerfix.rules.duplicate_stage_name import DuplicateStageName
from dockerfix.rules.expose_invalid_format import ExposeInvalidFormat
from dockerfix.rules.expose_proto_casing import ExposeProtoCasing
from dockerfix.rules.from_as_casing import FromAsCasing
from dockerfix.rules.from_platform_flag_const_disallowed import FromPlatformFlagConstDisallowed
from dockerfix.rules.invalid_base_image_platform import InvalidBaseImagePlatform
from dockerfix.rules.invalid_default_arg_in_from import InvalidDefaultArgInFrom
from dockerfix.rules.invalid_definition_description import InvalidDefinitionDescription
from dockerfix.rules.json_args_recommended import JSONArgsRecommended
from dockerfix.rules.legacy_key_value_format import LegacyKeyValueFormat
from dockerfix.rules.maintainer_deprecated import MaintainerDeprecated
from dockerfix.rules.multiple_instructions_disallowed import MultipleInstructionsDisallowed
from dockerfix.rules.no_empty_continuation import NoEmptyContinuation
from dockerfix.rules.redundant_target_platform import RedundantTargetPlatform
from dockerfix.rules.reserved_stage_name import ReservedStageName
from dockerfix.rules.secrets_used_in_arg_or_env import SecretsUsedInArgOrEnv
from dockerfix.rules.ssh_key_copy import SshKeyCopy
from dockerfix.rules.stage_name_casing import StageNameCasing
from dockerfix.rules.syntax_directive import SyntaxDirective
from dockerfix.rules.undefined_arg_in_from import UndefinedArgInFrom
from dockerfix.rules.undefined_var import UndefinedVar
from dockerfix.rules.workdir_relative_path import WorkdirRelativePath

ALL_RULES: tuple[type[Rule], ...] = (
    SyntaxDirective,  # DF001
    CacheMount,  # DF002
    CrossCompile,  # DF003
    CredentialFileCopy,  # DF004
    SshKeyCopy,  # DF005
    StageNameCasing,  # BK001
    FromAsCasing,  # BK002
    NoEmptyContinuation,  # BK003
    ConsistentInstructionCasing,  # BK004
    DuplicateStageName,  # BK005
    ReservedStageName,  # BK006
    JSONArgsRecommended,  # BK007
    MaintainerDeprecated,  # BK008
    UndefinedArgInFrom,  # BK009
    WorkdirRelativePath,  # BK010
    UndefinedVar,  # BK011
    MultipleInstructionsDisallowed,  # BK012
    LegacyKeyValueFormat,  # BK013
    InvalidBaseImagePlatform,  # BK014
    RedundantTargetPlatform,  # BK015
    SecretsUsedInArgOrEnv,  # BK016
    InvalidDefaultArgInFrom,  # BK017
    FromPlatformFlagConstDisallowed,  # BK018
    CopyIgnoredFile,  # BK019
    InvalidDefinitionDescription,  # BK020
    ExposeProtoCasing,  # BK021
    ExposeInvalidFormat,  # BK022
)


def by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in ALL_RULES}
