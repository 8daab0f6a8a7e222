"""The record service's own messages (validation, input parsing, refusals) in English and
Chinese — the two languages of the sales template. Other locales fall back to English.

A message is built as `Message(key, params)` where it is detected and rendered in the
actor's locale where it is reported, so the detecting code never needs to know who reads it;
a parameter may itself be a label (`{en: customer, zh: 客户}`), resolved in the same locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.spec.model import label_text

__all__ = ["CATALOG", "FALLBACK_LOCALE", "Message", "render"]

FALLBACK_LOCALE = "en"

_EN: Mapping[str, str] = {
    "required": "This field is required.",
    "unknown_field": "'{field}' is not a field of {entity}.",
    "not_editable": "You may not change this field.",
    "readonly": "This field is read-only: it is filled in by the system.",
    "computed": "This field is computed and cannot be set.",
    "sequence": "This number is assigned automatically.",
    "state_field": ("'{field}' changes only through workflow actions ({actions}), not by editing."),
    "not_editable_in_state": "This field cannot be changed while the record is '{state}'.",
    "expected_text": "Enter text.",
    "expected_number": "Enter a number, e.g. 12.5.",
    "expected_integer": "Enter a whole number, e.g. 12.",
    "expected_money": (
        "Enter an amount in {currency} with at most {digits} decimal places, e.g. {example}."
    ),
    "expected_percent": "Enter a ratio such as 0.25, or a percentage such as 25%.",
    "too_many_places": "Use at most {digits} decimal places.",
    "too_large": "This number is too large.",
    "expected_date": "Enter a date as YYYY-MM-DD, e.g. 2024-06-30.",
    "expected_datetime": (
        "Enter a date and time as YYYY-MM-DDTHH:MM, e.g. 2024-06-30T14:00 "
        "(optionally with a time zone such as +08:00)."
    ),
    "expected_boolean": "Enter true or false.",
    "expected_list": "Send a list of values.",
    "expected_rows": "Send a list of rows, each an object of field values.",
    "expected_user": "Enter a username.",
    "expected_team": "Enter a team id (a whole number).",
    "expected_link": "Enter the id of a {entity} (a whole number).",
    "expected_files": "Send the id of an uploaded file, or a list of them.",
    "min_value": "Must be at least {limit}.",
    "max_value": "Must be at most {limit}.",
    "min_length": "Enter at least {limit} characters.",
    "max_length": "Enter at most {limit} characters.",
    "pattern": "Does not match the expected format.",
    "option": "'{value}' is not one of the options ({options}).",
    "min_items": "Choose at least {limit}.",
    "max_items": "Choose at most {limit}.",
    "min_rows": "Add at least {limit} row(s).",
    "max_rows": "Add at most {limit} row(s).",
    "email": "Enter an e-mail address such as name@example.com.",
    "url": "Enter a web address starting with http:// or https://.",
    "phone": "Enter a phone number: digits, spaces and dashes, optionally starting with +.",
    "unique": "This value is already used by another {entity}.",
    "unknown_user": "There is no active user '{value}'.",
    "unknown_team": "There is no team with id {value}.",
    "unknown_link": "There is no {entity} with id {value}.",
    "link_not_allowed": "{entity} {value} is not one of the choices this field allows.",
    "unknown_file": "There is no uploaded file with id {value} for this field.",
    "single_file": "Only one file may be attached here.",
    "row_files": "Files cannot be attached in table rows yet: attach them to the record.",
    "file_type": "Files of this type are not accepted here (accepted: {accept}).",
    "file_size": "The file is larger than {limit} MB.",
    "delete_restricted": "This {entity} cannot be deleted: {blockers} still link to it.",
    # Workflow actions.
    "action_unknown": "'{action}' is not an action of this workflow.",
    "action_not_now": "'{action}' is not possible while the record is '{state}'.",
    "action_guard": "The conditions for '{action}' are not met.",
    "action_roles": "Only {roles} may take '{action}'.",
    "action_no_task": "You have no approval waiting on this record.",
    "action_self_approval": "You may not approve a record you submitted yourself.",
    "action_recall_acted": "It can no longer be recalled: an approver has already acted.",
    "action_recall_submitter": "Only the person who submitted it may recall it.",
    "action_not_allowed_in_step": "'{action}' is not enabled in this approval step.",
    "action_no_route": "No next step applies: check the conditions of '{action}'.",
    "comment_required": "A comment is required for this action.",
    "choose_target": "Choose one of: {targets}.",
    "choose_user": "Choose a user.",
    "already_approver": "'{user}' already approves this step.",
    "not_settable": "This field cannot be set by '{action}'.",
    "position": "Choose 'before' or 'after'.",
}

_ZH: Mapping[str, str] = {
    "required": "此项为必填项。",
    "unknown_field": "「{field}」不是{entity}的字段。",
    "not_editable": "您无权修改此字段。",
    "readonly": "此字段为只读，由系统自动填写。",
    "computed": "此字段由系统计算，不能填写。",
    "sequence": "编号由系统自动生成。",
    "state_field": "「{field}」只能通过流程操作（{actions}）变更，不能直接编辑。",
    "not_editable_in_state": "记录处于「{state}」状态时不能修改此字段。",
    "expected_text": "请输入文本。",
    "expected_number": "请输入数字，例如 12.5。",
    "expected_integer": "请输入整数，例如 12。",
    "expected_money": "请输入{currency}金额，最多 {digits} 位小数，例如 {example}。",
    "expected_percent": "请输入比例（如 0.25）或百分比（如 25%）。",
    "too_many_places": "最多保留 {digits} 位小数。",
    "too_large": "数值过大。",
    "expected_date": "请按 YYYY-MM-DD 格式输入日期，例如 2024-06-30。",
    "expected_datetime": (
        "请按 YYYY-MM-DDTHH:MM 格式输入日期时间，例如 2024-06-30T14:00（可带时区，如 +08:00）。"
    ),
    "expected_boolean": "请输入 true 或 false。",
    "expected_list": "请提交一个值列表。",
    "expected_rows": "请提交明细行列表，每行为一个字段值对象。",
    "expected_user": "请输入用户名。",
    "expected_team": "请输入团队编号（整数）。",
    "expected_link": "请输入{entity}的编号（整数）。",
    "expected_files": "请提交已上传文件的编号或编号列表。",
    "min_value": "不能小于 {limit}。",
    "max_value": "不能大于 {limit}。",
    "min_length": "至少输入 {limit} 个字符。",
    "max_length": "最多输入 {limit} 个字符。",
    "pattern": "格式不正确。",
    "option": "「{value}」不是可选项（可选：{options}）。",
    "min_items": "至少选择 {limit} 项。",
    "max_items": "最多选择 {limit} 项。",
    "min_rows": "至少填写 {limit} 行。",
    "max_rows": "最多填写 {limit} 行。",
    "email": "请输入有效的邮箱地址，例如 name@example.com。",
    "url": "请输入以 http:// 或 https:// 开头的网址。",
    "phone": "请输入有效的电话号码：数字、空格和短横线，可以 + 开头。",
    "unique": "该值已被其他{entity}使用。",
    "unknown_user": "用户「{value}」不存在或已停用。",
    "unknown_team": "编号为 {value} 的团队不存在。",
    "unknown_link": "编号为 {value} 的{entity}不存在。",
    "link_not_allowed": "所选{entity}（{value}）不符合此字段的可选条件。",
    "unknown_file": "此字段没有编号为 {value} 的已上传文件。",
    "single_file": "此处只能上传一个文件。",
    "row_files": "明细行中暂不支持附件，请将文件上传到记录本身。",
    "file_type": "不接受此类型的文件（可接受：{accept}）。",
    "file_size": "文件超过 {limit} MB。",
    "delete_restricted": "无法删除该{entity}：仍有{blockers}关联到它。",
    "action_unknown": "「{action}」不是此流程的操作。",
    "action_not_now": "记录处于「{state}」状态时不能执行「{action}」。",
    "action_guard": "不满足执行「{action}」的条件。",
    "action_roles": "只有{roles}可以执行「{action}」。",
    "action_no_task": "此记录没有等待您审批的任务。",
    "action_self_approval": "不能审批自己提交的记录。",
    "action_recall_acted": "审批人已处理，不能再撤回。",
    "action_recall_submitter": "只有提交人可以撤回。",
    "action_not_allowed_in_step": "此审批环节未启用「{action}」。",
    "action_no_route": "没有适用的下一步：请检查「{action}」的条件。",
    "comment_required": "此操作需要填写意见。",
    "choose_target": "请选择：{targets}。",
    "choose_user": "请选择人员。",
    "already_approver": "「{user}」已是此环节的审批人。",
    "not_settable": "「{action}」不能设置此字段。",
    "position": "请选择“之前”或“之后”。",
}

CATALOG: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": _EN, "zh": _ZH})
"""Message templates by locale, then key."""


@dataclass(frozen=True)
class Message:
    """A message not yet rendered: its catalog key and the values it names."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def render(message: Message, locale: str | None) -> str:
    """The message's text in `locale` (English when the locale has no catalog)."""
    language = _language(locale)
    catalog = CATALOG.get(language, _EN)
    template = catalog.get(message.key) or _EN[message.key]
    params = {
        name: label_text(value, language) if isinstance(value, Mapping) else value
        for name, value in message.params.items()
    }
    return template.format(**params)


def _language(locale: str | None) -> str:
    """`zh-CN` and `zh_Hans` read as `zh`."""
    if not locale:
        return FALLBACK_LOCALE
    return locale.replace("_", "-").split("-")[0].lower()
