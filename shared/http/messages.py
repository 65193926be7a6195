"""Error messages in the reader's language: Chinese unless the request's ``Accept-Language`` prefers English. A
Chinese message carries the English one beside it (``message_en``); the code is the same in both."""

from __future__ import annotations

from contextvars import ContextVar

#: The language of the request being answered (set per request by the request context middleware).
LANGUAGE: ContextVar[str] = ContextVar("language", default="zh")

# The codes people meet, in Chinese; a code not listed keeps its English message.
MESSAGES_ZH = {
    "not_found": "未找到，或不在您的管辖范围内",
    "unauthenticated": "请先登录（需要有效的访问令牌）",
    "invalid_token": "访问令牌无效或已过期，请重新登录",
    "forbidden_role": "您的岗位无权进行此操作",
    "scope_too_narrow": "此项由区级统一管理，您所在的辖区无权修改",
    "outside_scope": "超出您的管辖范围",
    "malformed_json": "提交的内容格式有误",
    "missing_field": "缺少必填项",
    "unknown_field": "包含不接受的字段",
    "too_long": "内容过长",
    "too_short": "内容过短",
    "too_many": "数量过多",
    "invalid_format": "格式不正确",
    "invalid_field": "填写的内容无效",
    "choose_one": "这两项请填写其中一项（只填一项）",
    "wrong_type": "填写的类型不正确",
    "out_of_range": "数值或日期超出允许范围",
    "invalid_character": "内容含有不可见的控制字符，请删除后重试",
    "invalid_encoding": "内容不是 UTF-8 编码",
    "too_deep": "提交的内容嵌套过深",
    "body_too_large": "提交的内容过大",
    "body_timeout": "提交中断，请重试",
    "rate_limited": "操作过于频繁，请稍后再试",
    "locked": "该查询码因多次输入错误已暂时锁定，请稍后再试",
    "too_many_reveals": "一小时内查看居民联系方式的次数已达上限，请稍后再试",
    "phone_last4_required": "请输入报事人手机或电话号码的后四位",
    "unknown_category": "没有这个事项类别",
    "outside_jurisdiction": "该地点不在本辖区内",
    "address_not_found": "找不到这个地址，请补充小区名称或门牌号，或在地图上选点",
    "address_not_precise": "地址不够具体，请补充门牌号",
    "case_closed": "该诉求已办结，请重新反映",
    "missing_location": "请提供地点（地图选点或地址）",
    "invalid_phone": "请填写手机号码，或带区号的固定电话",
    "unknown_photo": "照片不存在或已过期，请重新上传",
    "too_many_photos": "照片数量过多",
    "photo_too_large": "照片过大",
    "not_an_image": "上传的文件不是图片",
    "unsupported_photo_type": "仅支持 JPEG、PNG、WebP 格式的照片",
    "empty_photo": "照片为空",
    "duplicate_photo": "同一张照片重复上传",
    "already_evaluated": "本轮办理您已评价过",
    "not_completed": "事项尚未办结，办结后才能评价",
    "idempotency_key_reused": "同一请求标识用于了不同的内容",
    "stale_version": "事项已被他人更新，请刷新后重试",
    "concurrent_edit": "他人正在同时修改，请刷新后重试",
    "shutting_down": "服务正在维护，请稍后再试",
    "database_unavailable": "服务暂时不可用，请稍后再试",
    "internal_error": "系统出现问题，已记录，请稍后再试",
    "not_case_supervisor": "只有负责本事项的督办员（或话务员）可以联系居民",
    "not_held_yet": "说明会尚未召开，召开后才能记录",
    "already_held": "说明会已召开并记录",
    # What staff meet while handling cases and keeping the reference data.
    "account_exists": "该用户名已被使用",
    "account_locked": "密码错误次数过多，账号已暂时锁定，请稍后再试",
    "wrong_credentials": "用户名或密码不正确",
    "weak_password": "密码强度不够：至少10位，不含用户名，字符不能过于单一",
    "csrf_failed": "页面已过期，请刷新后重试",
    "already_redriven": "这条记录已经重新投递过",
    "oidc_stale": "登录已过期或无效，请重新登录",
    "oidc_invalid_token": "统一身份认证返回的凭证无效",
    "oidc_refused": "统一身份认证未能完成登录",
    "oidc_misconfigured": "统一身份认证的配置有误，请联系管理员",
    "local_accounts_off": "本系统只接受统一身份认证登录",
    "owner_unavailable": "负责此事的服务暂时没有响应，请稍后再试",
    "already_checked_in": "本单位已报到",
    "already_claimed": "该事项已被其他单位认领",
    "already_decided": "该申请已作出决定",
    "already_kept": "该承诺已记录为兑现",
    "already_rated": "该评议组已对此事项评分",
    "already_reopened": "本轮已重新交办",
    "already_revoked": "该证件已被吊销",
    "already_suspended": "该事项已处于等待状态",
    "areas_unavailable": "暂时无法读取辖区信息，请稍后再试",
    "assisting_only": "此操作仅限协办单位",
    "bridge_not_configured": "尚未配置群消息接入",
    "category_exists": "该事项类别已存在，请修改而非新增",
    "certificate_expired": "监督员证件已过期",
    "certificate_revoked": "监督员证件已被吊销",
    "duplicate_day": "同一日期重复填写",
    "empty_file": "文件为空",
    "endpoint_disabled": "该接收地址已停用",
    "excluded": "本单位曾退回此事项，不能再认领",
    "extension_pending": "已有延期申请正在审核",
    "file_too_large": "文件过大",
    "forbidden_target": "不允许向内部地址推送",
    "illegal_transition": "事项当前状态不允许此操作",
    "invalid_certificate": "监督员证件无效",
    "invalid_date": "日期格式不正确，例如 2026-11-20",
    "invalid_parent": "上级单位无效",
    "invalid_policy": "时限规则设置有误",
    "invalid_template": "消息模板有误",
    "invalid_url": "地址格式不正确",
    "lead_only": "此操作仅限牵头单位",
    "no_change": "没有需要修改的内容",
    "no_extension_pending": "没有待审核的延期申请",
    "no_policy": "没有适用的时限规则",
    "no_running_deadline": "没有正在计时的时限",
    "not_being_handled": "该事项当前不在办理中",
    "not_linked": "该报告未关联到其他事项",
    "not_on_docket": "该事项不在本评议组的评议范围内",
    "not_summoned": "本单位未被召集联合处置",
    "not_suspended": "该事项不在等待状态",
    "nothing_to_flag": "没有需要标记的单位",
    "panel_incomplete": "评议组须有社区、党员、居民三方代表",
    "parts_missing": "协办单位尚未报告协办情况",
    "rule_exists": "该派单规则已存在，请修改而非新增",
    "same_unit": "转办对象不能是本单位",
    "service_code_taken": "该服务编码已被使用",
    "taken": "该编号已被其他辖区使用",
    "too_few_units": "联合处置至少召集两个单位",
    "unit_exists": "该单位已存在，请修改而非新增",
    "unknown_address_id": "没有这个地址编号",
    "unknown_class": "没有这个事项大类",
    "unknown_filter": "筛选条件中有未知的值",
    "unknown_kind": "来源类型不正确（意见箱、电子邮件、调查问卷、一对一谈心、小区意见簿、走访日志、联系日志）",
    "unknown_locale": "不支持该语言",
    "unknown_unit": "没有这个单位",
    "unknown_year": "日历中没有这一年的法定节假日，请手工填写",
    "unresolvable_host": "无法解析该地址的主机名",
    "unroutable": "没有可派发的单位，事项留在待分拨队列",
    "unsupported_file_type": "仅支持 CSV 或 XLSX 文件",
    "method_not_allowed": "不支持该操作方式",
    "not_acceptable": "无法提供所需的格式",
    "unsupported_media_type": "不支持该内容类型",
}


def preferred_language(accept_language: str) -> str:
    """``en`` if the header ranks English above Chinese, else ``zh`` (Chinese first)."""
    best, best_q = "zh", 0.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        language = tag.strip().lower().split("-")[0]
        if language in ("zh", "en") and q > best_q:
            best, best_q = language, q
    return best


def localised(code: str, message: str, message_zh: str | None = None) -> dict:
    """The message fields of an error body in the request's language (``message_zh``: this refusal's own words,
    where the code's are too general)."""
    if LANGUAGE.get() == "zh" and (message_zh or code in MESSAGES_ZH):
        return {"message": message_zh or MESSAGES_ZH[code], "message_en": message}
    return {"message": message}
