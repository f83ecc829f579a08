"""FP4xx: dataset rules. Checked in one streaming pass by fineplan.datasets; documented here, one class per code.

Errors are what Azure rejects or what makes a job fail; warnings are accepted by Azure but almost always a
mistake. Each finding reports its first occurrences with JSONL line numbers and a total count. Pass/fail cases
per code live in tests/datasets/cases/.
"""

from __future__ import annotations

from fineplan.datasets import codes as C
from fineplan.diagnostics import Severity
from fineplan.lint.rule import DatasetRule


class DatasetUnreadable(DatasetRule):
    """The dataset file cannot be read or transformed.

    What it does
        Reports a missing or unreadable file, a path that is not a regular file (naming what it is: a FIFO, a
        directory, a socket or a device, none of which is ever opened), or a transform that cannot convert a row
        (naming the line).
    Why
        Nothing can be validated, uploaded or trained from it.
    Example
        `path: data/train.jsonl` when the file is `data/train.json`; a `prompt_response` transform whose
        `response_field` is absent on line 12.
    """

    code = C.UNREADABLE
    name = "dataset-unreadable"


class InvalidJson(DatasetRule):
    """A line is not valid JSON.

    What it does
        Parses every line and reports the first syntax error with its line and column.
    Why
        Azure's file processing fails the whole upload on one bad line, after the upload and a wait.
    Example
        `{"messages": [{"role": "user", "content": "hi"}` (unclosed array) → invalid JSON, column 45.
    """

    code = C.INVALID_JSON
    name = "invalid-json"


class NotAnObject(DatasetRule):
    """A line is valid JSON but not an object (the notebook's `data_type` error).

    What it does
        Reports lines whose JSON value is an array, string, number, boolean or null.
    Why
        Every JSONL example is one JSON object.
    Example
        `[{"role": "user", "content": "hi"}]` (a bare message list).
    """

    code = C.NOT_OBJECT
    name = "not-an-object"


class BlankLine(DatasetRule):
    """A line is empty or whitespace only.

    What it does
        Reports blank lines anywhere in the file, including at the end (a final newline is fine).
    Why
        JSONL has one JSON object per line; a blank line is not an example and strict parsers reject it.
        Deleting it costs nothing, so fineplan treats it as an error rather than guess.
    Example
        Two examples separated by an empty line.
    """

    code = C.BLANK_LINE
    name = "blank-line"


class ByteOrderMark(DatasetRule):
    """The file starts with a UTF-8 byte order mark (accepted; a warning).

    What it does
        Accepts and skips a UTF-8 BOM at the start of the file, and says so.
    Why
        Some Azure docs ask for a BOM, most JSON tools choke on one; fineplan accepts both so the file works
        everywhere, and warns because other tools in your pipeline may not.
    Example
        A file saved as "UTF-8 with BOM" by an editor.
    """

    code = C.BOM
    name = "utf8-bom"
    severity = Severity.WARNING


class InvalidUtf8(DatasetRule):
    """The file is not UTF-8 (invalid bytes, or UTF-16).

    What it does
        Reports the first invalid byte of a line (with its byte column), or a UTF-16 byte order mark.
    Why
        Azure reads JSONL as UTF-8 only.
    Example
        A file exported as Latin-1 with `é` as the single byte 0xE9.
    """

    code = C.INVALID_UTF8
    name = "invalid-utf8"


class TooFewExamples(DatasetRule):
    """The file has fewer than 10 examples.

    What it does
        Counts non-blank lines and reports files with fewer than 10. A dataset that only Evaluations test on,
        and no job trains or validates on, is exempt.
    Why
        Azure requires at least 10 examples per training (and validation) file; eval data has no minimum.
    Example
        A validation split of 5% of 120 rows (6 examples).
    """

    code = C.TOO_FEW_EXAMPLES
    name = "too-few-examples"


class FileTooLarge(DatasetRule):
    """The file is larger than 512 MB.

    What it does
        Reports files larger than the 512 MB upload limit.
    Why
        Larger files need the chunked Uploads API and are rejected by a plain upload.
    Example
        A 700 MB JSONL of long documents: split it or shorten examples.
    """

    code = C.FILE_TOO_LARGE
    name = "file-too-large"


class ExampleTooLong(DatasetRule):
    """An example has more tokens than the model allows per example.

    What it does
        Counts tokens exactly (tiktoken, chat framing included) for every example whose byte length could
        exceed the limit, and reports those over it: 65,536 for most models, 32,768 for gpt-4.1-nano. A line
        longer than limit × 128 bytes whose message text alone proves it over (no token is longer than 128
        bytes) is reported while it is streamed, without being held, parsed or tokenized, so a huge line costs
        no more memory than a short one.
    Why
        Azure documents a per-example maximum; longer examples are rejected or truncated, which can silently
        drop the assistant's answer.
    Example
        A 200 kB contract pasted into one user message, for gpt-4.1-nano.
    """

    code = C.EXAMPLE_TOO_LONG
    name = "example-too-long"


class DuplicateExample(DatasetRule):
    """An example repeats an earlier line byte for byte (a warning).

    What it does
        Hashes every line and reports lines identical to an earlier one, naming it.
    Why
        Duplicates over-weight some examples and waste paid training tokens.
    Example
        The same question and answer appended twice by a data export.
    """

    code = C.DUPLICATE
    name = "duplicate-example"
    severity = Severity.WARNING


class ValidationLeakage(DatasetRule):
    """A validation example is also in the training file (a warning).

    What it does
        Compares the validation file's lines with the training file's and reports the shared ones.
    Why
        Validation loss on examples the model trained on measures memorisation, not generalisation.
    Example
        A validation file cut from the training file without removing the rows.
    """

    code = C.LEAKAGE
    name = "validation-leakage"
    severity = Severity.WARNING


class MissingMessages(DatasetRule):
    """An example has no non-empty `messages` list (the notebook's `missing_messages_list`).

    What it does
        Reports chat and reinforcement examples without a `messages` list, or with an empty one.
    Why
        The messages are the example.
    Example
        `{"prompt": "hi", "completion": "hello"}`: use a `prompt_completion` transform.
    """

    code = C.MISSING_MESSAGES
    name = "missing-messages"


class MessageMissingKey(DatasetRule):
    """A message lacks a required key (the notebook's `message_missing_key`).

    What it does
        Reports messages that are not objects, or lack `role`, or `content` (assistant messages with
        `tool_calls` may omit content), a tool message's `tool_call_id`, a function message's `name`.
    Why
        Azure rejects messages without them.
    Example
        `{"role": "user"}`.
    """

    code = C.MESSAGE_MISSING_KEY
    name = "message-missing-key"


class UnknownMessageKey(DatasetRule):
    """A message has a key its role does not allow (the notebook's `message_unrecognized_key`).

    What it does
        Checks message keys per role: role, content, name, weight (assistant), tool_calls and function_call
        (assistant), tool_call_id (tool).
    Why
        Unknown keys are rejected, and a misspelt key (`contents`) loses the text it holds.
    Example
        `{"role": "user", "contents": "hi"}`.
    """

    code = C.UNKNOWN_MESSAGE_KEY
    name = "unknown-message-key"


class UnknownRole(DatasetRule):
    """A message has an unknown role (the notebook's `unrecognized_role`).

    What it does
        Accepts system, developer, user, assistant, tool and the legacy function role.
    Why
        Azure rejects other roles.
    Example
        `{"role": "bot", "content": "hello"}`.
    """

    code = C.UNKNOWN_ROLE
    name = "unknown-role"


class MissingContent(DatasetRule):
    """A message's content is empty or null (the notebook's `missing_content`).

    What it does
        Reports empty, whitespace-only or null content, and content part lists with no text or image, unless
        the message is an assistant tool or function call.
    Why
        Empty turns are rejected or train the model to answer with nothing.
    Example
        `{"role": "assistant", "content": ""}`.
    """

    code = C.MISSING_CONTENT
    name = "missing-content"


class InvalidContent(DatasetRule):
    """A message's content (or name) has the wrong type or malformed parts.

    What it does
        Content must be a string or a list of parts; a part is `{"type": "text", "text": ...}` or an
        `image_url` part. A `name` must be a non-empty string.
    Why
        Azure rejects other shapes.
    Example
        `"content": {"text": "hi"}` or `[{"type": "audio", ...}]`.
    """

    code = C.INVALID_CONTENT
    name = "invalid-content"


class InvalidWeight(DatasetRule):
    """A `weight` is not 0 or 1, or is on a non-assistant message.

    What it does
        Checks that `weight` appears only on assistant messages and is 0 or 1.
    Why
        Weights select which assistant turns are trained; other values and places are rejected.
    Example
        `{"role": "user", "content": "hi", "weight": 0}` or `"weight": 0.5`.
    """

    code = C.INVALID_WEIGHT
    name = "invalid-weight"


class InvalidToolCall(DatasetRule):
    """An assistant's `tool_calls` (or `function_call`) is malformed.

    What it does
        Requires a non-empty list of `{id, type: "function", function: {name, arguments}}` with ids unique in
        the example.
    Why
        Azure rejects malformed calls, and tool results cannot refer to a call without an id.
    Example
        `"tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]` (no id).
    """

    code = C.INVALID_TOOL_CALL
    name = "invalid-tool-call"


class ArgumentsNotJson(DatasetRule):
    """A tool call's `arguments` is not a JSON-encoded object string.

    What it does
        Requires `arguments` to be a string that parses as a JSON object.
    Why
        The API carries arguments as a JSON string; an object or broken JSON fails training or teaches the
        model to emit invalid calls.
    Example
        `"arguments": {"city": "Paris"}` instead of `"arguments": "{\\"city\\": \\"Paris\\"}"`.
    """

    code = C.ARGUMENTS_NOT_JSON
    name = "arguments-not-json"


class UnmatchedToolCallId(DatasetRule):
    """A tool message's `tool_call_id` matches no earlier tool call.

    What it does
        Tracks the ids of the example's assistant tool calls and checks every tool message against them.
    Why
        A tool result must answer a call made before it.
    Example
        A tool message with `"tool_call_id": "call_2"` when the assistant only made `call_1`.
    """

    code = C.UNMATCHED_TOOL_CALL_ID
    name = "unmatched-tool-call-id"


class InvalidImage(DatasetRule):
    """An image part is invalid: URL scheme, data-URI type, encoding or size.

    What it does
        Accepts https URLs and base64 data URIs of JPEG, PNG or WEBP up to 10 MB (checking the bytes' magic
        number against the declared type) and a detail of low, high or auto.
    Why
        Azure rejects other images when it processes the file.
    Example
        `"url": "http://example.com/cat.png"` or `data:image/gif;base64,...`.
    """

    code = C.INVALID_IMAGE
    name = "invalid-image"


class ImageOutsideUser(DatasetRule):
    """An image appears in a non-user message.

    What it does
        Reports image_url parts in system, assistant or tool messages.
    Why
        Images are inputs: Azure accepts them in user messages only.
    Example
        An assistant message whose content includes an image_url part.
    """

    code = C.IMAGE_OUTSIDE_USER
    name = "image-outside-user"


class InvalidTools(DatasetRule):
    """The example's `tools` (or `functions`, `parallel_tool_calls`) are malformed.

    What it does
        Requires `tools` to be a list of `{type: "function", function: {name, description?, parameters?}}`
        with names of 1-64 letters, digits, _ or -, and `parallel_tool_calls` to be a boolean.
    Why
        Azure rejects malformed tool definitions.
    Example
        `"tools": [{"name": "get_weather"}]` (missing type and function).
    """

    code = C.INVALID_TOOLS
    name = "invalid-tools"


class UnknownExampleKey(DatasetRule):
    """A chat example has top-level keys besides messages, tools, parallel_tool_calls, functions (a warning).

    What it does
        Reports unknown top-level keys in chat SFT examples.
    Why
        They are ignored, which usually means data meant for training is not used (or a format mix-up).
    Example
        `{"messages": [...], "label": "positive"}`.
    """

    code = C.UNKNOWN_EXAMPLE_KEY
    name = "unknown-example-key"
    severity = Severity.WARNING


class MissingAssistantMessage(DatasetRule):
    """A chat example has no assistant message (the notebook's `example_missing_assistant_message`).

    What it does
        Reports chat SFT examples without any assistant message.
    Why
        Supervised fine-tuning learns the assistant's turns; without one there is nothing to learn.
    Example
        `{"messages": [{"role": "user", "content": "hi"}]}`.
    """

    code = C.NO_ASSISTANT
    name = "missing-assistant-message"


class NoTrainableTokens(DatasetRule):
    """Every assistant message of a chat example has weight 0 (a warning).

    What it does
        Reports examples in which no assistant turn is trained.
    Why
        The example is billed but teaches nothing.
    Example
        A two-turn conversation with `"weight": 0` on both assistant messages.
    """

    code = C.NO_TRAINABLE_TOKENS
    name = "no-trainable-tokens"
    severity = Severity.WARNING


class MissingUserMessage(DatasetRule):
    """A chat example has no user message (a warning, as in the data-prep notebook).

    What it does
        Reports chat examples without a user turn.
    Why
        Usually a conversion bug (roles mislabelled); the model learns answers to nothing.
    Example
        `[{"role": "system", ...}, {"role": "assistant", ...}]`.
    """

    code = C.NO_USER_MESSAGE
    name = "missing-user-message"
    severity = Severity.WARNING


class UndeclaredTool(DatasetRule):
    """A tool call names a function the example's `tools` do not declare (a warning).

    What it does
        When an example declares tools, checks that every call uses one of them.
    Why
        The model learns to call functions that will not exist at inference time.
    Example
        `tools` declares `get_weather`, the assistant calls `get_forecast`.
    """

    code = C.UNDECLARED_TOOL
    name = "undeclared-tool"
    severity = Severity.WARNING


class PreferenceKeys(DatasetRule):
    """A DPO example does not have exactly input, preferred_output and non_preferred_output.

    What it does
        Reports missing and extra top-level keys of preference examples.
    Why
        Azure's DPO format is exact.
    Example
        `{"prompt": ..., "chosen": ..., "rejected": ...}`: use a `preference` transform.
    """

    code = C.DPO_KEYS
    name = "preference-keys"


class PreferenceInput(DatasetRule):
    """A DPO example's `input` is not `{messages, tools?, parallel_tool_calls?}`.

    What it does
        Requires `input` to be an object with a non-empty `messages` list and no other keys.
    Why
        The input is the shared prompt both outputs answer.
    Example
        `"input": "What is 2+2?"` (a string, not an object).
    """

    code = C.DPO_INPUT
    name = "preference-input"


class PreferenceOutput(DatasetRule):
    """A DPO output is not a list of assistant/tool messages with at least one assistant message.

    What it does
        Checks `preferred_output` and `non_preferred_output`.
    Why
        The outputs are what the model is taught to prefer or avoid; Azure accepts only assistant and tool
        messages there.
    Example
        `"preferred_output": [{"role": "user", "content": "..."}]`.
    """

    code = C.DPO_OUTPUT
    name = "preference-output"


class PreferenceIdenticalOutputs(DatasetRule):
    """A DPO example's two outputs are identical (a warning).

    What it does
        Compares the preferred and non-preferred outputs.
    Why
        An identical pair carries no preference: it costs tokens and teaches nothing.
    Example
        A pair built from two samples of a deterministic model.
    """

    code = C.DPO_IDENTICAL
    name = "preference-identical-outputs"
    severity = Severity.WARNING


class ReinforcementLastMessage(DatasetRule):
    """An RFT example's last message is not from the user.

    What it does
        Checks the role of the last message of every reinforcement example.
    Why
        RFT samples the model's answer to the final user turn; Azure requires it.
    Example
        A row whose messages end with the reference answer as an assistant turn (put it in an item field).
    """

    code = C.RFT_LAST_NOT_USER
    name = "rft-last-message-not-user"


class GraderShape(DatasetRule):
    """An RFT or Evaluation grader is malformed for its type.

    What it does
        Checks the grader (and each sub-grader of a multi grader): type, name, and the fields each type needs
        (operation, evaluation_metric, model, input, range, labels, passing_labels, graders).
    Why
        Azure rejects the job at creation.
    Example
        `{"type": "string_check", "operation": "equals", ...}`.
    """

    code = C.GRADER_SHAPE
    name = "grader-shape"


class GraderItemMissing(DatasetRule):
    """A grader's `{{item.<field>}}` does not resolve in some dataset rows.

    What it does
        Resolves every item template (dotted paths allowed) in every row of the job's training and
        validation files and names the rows that miss it. For an Evaluation, in the eval item of every test
        row: a chat row gives `item.messages` and `item.reference`, a reinforcement row `item.messages` and its
        other top-level fields.
    Why
        The grader would fail or score an empty string for those rows, wasting paid training hours.
    Example
        `"reference": "{{item.answer}}"` while the rows hold `"target"`.
    """

    code = C.GRADER_ITEM_MISSING
    name = "grader-item-missing"


class GraderOutputJson(DatasetRule):
    """`{{sample.output_json...}}` without a JSON-schema response format that has that property.

    What it does
        Requires a `response_format` with a JSON schema whenever a grader reads `sample.output_json`, and that
        the schema declares every property path the grader reads.
        An Evaluation has no response format of its own: its graders are checked against the response format of
        the RFT job behind a subject's deployment (following stacked jobs).
    Why
        Without a schema the model's output is plain text and `output_json` is empty.
    Example
        `"input": "{{sample.output_json.answer}}"` with a schema declaring only `result`.
    """

    code = C.GRADER_OUTPUT_JSON
    name = "grader-output-json"


class GraderCalculateOutput(DatasetRule):
    """A multi grader's `calculate_output` uses unknown names or disallowed operators.

    What it does
        Parses the formula and allows only its own grader keys, numbers, + - * / ^ and the functions min max
        abs floor ceil exp sqrt log.
    Why
        Azure rejects other formulas when the job starts.
    Example
        `"0.5 * similarity + 0.5 * exact"` when the graders are keyed `sim` and `exact`.
    """

    code = C.GRADER_CALCULATE_OUTPUT
    name = "grader-calculate-output"


class GraderPython(DatasetRule):
    """A python grader's source does not parse or does not define `grade(sample, item)`.

    What it does
        Parses the source (without running it), checks for a top-level `grade` taking two arguments, and the
        256 kB size limit.
    Why
        The job would fail at its first grading step.
    Example
        `"source": "def score(sample): ..."`.
    """

    code = C.GRADER_PYTHON
    name = "grader-python"


class GraderTemplate(DatasetRule):
    """A grader template is neither `item.*` nor a known `sample.*` field (a warning).

    What it does
        Accepts `{{item.<path>}}` and `{{sample.output_text|output_json|output_tools|choices...}}`.
    Why
        An unknown template renders empty; usually a typo.
    Example
        `{{samples.output_text}}`.
    """

    code = C.GRADER_TEMPLATE
    name = "grader-template"
    severity = Severity.WARNING


class GraderUnknownKey(DatasetRule):
    """A grader has keys its type does not document (a warning).

    What it does
        Lists keys outside the documented set for the grader's type.
    Why
        Misspelt keys (`pass_treshold`) are silently ignored by some API versions and rejected by others.
    Example
        `{"type": "string_check", "opration": "eq", ...}`.
    """

    code = C.GRADER_UNKNOWN_KEY
    name = "grader-unknown-key"
    severity = Severity.WARNING


class EvaluationRowWithoutReference(DatasetRule):
    """A chat test row has no final assistant turn, but a grader reads `{{item.reference}}`.

    What it does
        For an Evaluation on a chat dataset whose graders read `{{item.reference}}`, checks that every test row
        ends with an assistant turn with text (its reference) and reports the first such row's line with the
        count of rows.
    Why
        A chat row's eval item takes its reference from its final assistant turn; without one the reference
        renders empty and the row fails whatever the model answers, dragging every subject's score down.
    Example
        A test row whose messages end with the user's question: add the expected answer as an assistant turn,
        or use a reinforcement dataset with the answer in an item field.
    """

    code = C.EVAL_NO_REFERENCE
    name = "evaluation-row-without-reference"


class EvaluationDuplicateGrader(DatasetRule):
    """Two graders of an Evaluation have the same name.

    What it does
        Checks that the `name` of each grader (inline or in the graders_file) is unique within the evaluation,
        at the second grader, naming the first.
    Why
        Results are recorded per grader name and gates (`min_score`, `min_pass_rate`, `graders`) refer to
        graders by name: two graders of one name would overwrite each other's scores.
    Example
        Two `string_check` graders both named `exact`, one with `eq` and one with `ilike`.
    """

    code = C.EVAL_DUPLICATE_GRADER
    name = "evaluation-duplicate-grader"


class ValidatorInternal(DatasetRule):
    """The dataset validator failed on a line (a fineplan bug, reported instead of crashing).

    What it does
        Catches an unexpected exception while validating one example and reports it at its line; the rest of
        the file is still checked.
    Why
        One strange line must not hide every other finding. Please report it.
    Example
        (none expected)
    """

    code = C.INTERNAL
    name = "validator-internal-error"
