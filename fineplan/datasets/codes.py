"""The FP4xx codes the dataset validator emits, with their severities.

The rule classes in fineplan.lint.rules.datasets document each code; a test keeps the two in step. Errors are what
Azure rejects (or what makes the job fail); warnings are accepted by Azure but almost always a mistake.
"""

from __future__ import annotations

from fineplan.diagnostics import Severity

E, W = Severity.ERROR, Severity.WARNING

# file and line level
UNREADABLE = "FP401"
INVALID_JSON = "FP402"
NOT_OBJECT = "FP403"
BLANK_LINE = "FP404"
BOM = "FP405"
INVALID_UTF8 = "FP406"
TOO_FEW_EXAMPLES = "FP407"
FILE_TOO_LARGE = "FP408"
EXAMPLE_TOO_LONG = "FP409"
DUPLICATE = "FP410"
LEAKAGE = "FP411"

# chat messages (shared by the three formats)
MISSING_MESSAGES = "FP420"
MESSAGE_MISSING_KEY = "FP421"
UNKNOWN_MESSAGE_KEY = "FP422"
UNKNOWN_ROLE = "FP423"
MISSING_CONTENT = "FP424"
INVALID_CONTENT = "FP425"
INVALID_WEIGHT = "FP426"
INVALID_TOOL_CALL = "FP427"
ARGUMENTS_NOT_JSON = "FP428"
UNMATCHED_TOOL_CALL_ID = "FP429"
INVALID_IMAGE = "FP430"
IMAGE_OUTSIDE_USER = "FP431"
INVALID_TOOLS = "FP432"
UNKNOWN_EXAMPLE_KEY = "FP433"
NO_ASSISTANT = "FP434"
NO_TRAINABLE_TOKENS = "FP435"
NO_USER_MESSAGE = "FP436"
UNDECLARED_TOOL = "FP437"

# preference (DPO)
DPO_KEYS = "FP440"
DPO_INPUT = "FP441"
DPO_OUTPUT = "FP442"
DPO_IDENTICAL = "FP443"

# reinforcement (RFT)
RFT_LAST_NOT_USER = "FP450"

# graders (RFT cross-checks)
GRADER_SHAPE = "FP460"
GRADER_ITEM_MISSING = "FP461"
GRADER_OUTPUT_JSON = "FP462"
GRADER_CALCULATE_OUTPUT = "FP463"
GRADER_PYTHON = "FP464"
GRADER_TEMPLATE = "FP465"

INTERNAL = "FP499"

SEVERITY: dict[str, Severity] = {
    UNREADABLE: E,
    INVALID_JSON: E,
    NOT_OBJECT: E,
    BLANK_LINE: E,
    BOM: W,
    INVALID_UTF8: E,
    TOO_FEW_EXAMPLES: E,
    FILE_TOO_LARGE: E,
    EXAMPLE_TOO_LONG: E,
    DUPLICATE: W,
    LEAKAGE: W,
    MISSING_MESSAGES: E,
    MESSAGE_MISSING_KEY: E,
    UNKNOWN_MESSAGE_KEY: E,
    UNKNOWN_ROLE: E,
    MISSING_CONTENT: E,
    INVALID_CONTENT: E,
    INVALID_WEIGHT: E,
    INVALID_TOOL_CALL: E,
    ARGUMENTS_NOT_JSON: E,
    UNMATCHED_TOOL_CALL_ID: E,
    INVALID_IMAGE: E,
    IMAGE_OUTSIDE_USER: E,
    INVALID_TOOLS: E,
    UNKNOWN_EXAMPLE_KEY: W,
    NO_ASSISTANT: E,
    NO_TRAINABLE_TOKENS: W,
    NO_USER_MESSAGE: W,
    UNDECLARED_TOOL: W,
    DPO_KEYS: E,
    DPO_INPUT: E,
    DPO_OUTPUT: E,
    DPO_IDENTICAL: W,
    RFT_LAST_NOT_USER: E,
    GRADER_SHAPE: E,
    GRADER_ITEM_MISSING: E,
    GRADER_OUTPUT_JSON: E,
    GRADER_CALCULATE_OUTPUT: E,
    GRADER_PYTHON: E,
    GRADER_TEMPLATE: W,
    INTERNAL: E,
}

# Codes whose finding makes an example unusable (it is left out of the token statistics).
EXAMPLE_FATAL = frozenset(c for c, s in SEVERITY.items() if s is E)
