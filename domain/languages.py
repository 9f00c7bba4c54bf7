"""Language names in both interface languages, by ISO 639-1 code (unknown codes show as the code)."""

from __future__ import annotations

LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "zh": ("中文", "Chinese"), "en": ("英语", "English"), "ko": ("韩语", "Korean"), "ja": ("日语", "Japanese"),
    "hi": ("印地语", "Hindi"), "de": ("德语", "German"), "ru": ("俄语", "Russian"), "fr": ("法语", "French"),
    "ms": ("马来语", "Malay"), "vi": ("越南语", "Vietnamese"), "th": ("泰语", "Thai"), "it": ("意大利语", "Italian"),
    "es": ("西班牙语", "Spanish"), "pt": ("葡萄牙语", "Portuguese"), "tl": ("他加禄语", "Tagalog"),
    "id": ("印尼语", "Indonesian"), "ur": ("乌尔都语", "Urdu"), "nl": ("荷兰语", "Dutch"), "uk": ("乌克兰语", "Ukrainian"),
    "tr": ("土耳其语", "Turkish"), "sv": ("瑞典语", "Swedish"), "kk": ("哈萨克语", "Kazakh"), "mn": ("蒙古语", "Mongolian"),
    "ar": ("阿拉伯语", "Arabic"), "fa": ("波斯语", "Persian"), "pl": ("波兰语", "Polish"), "bn": ("孟加拉语", "Bengali"),
}  # fmt: skip


def language_name(code: str, lang: str) -> str:
    names = LANGUAGE_NAMES.get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]
