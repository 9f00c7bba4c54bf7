"""Country names in both languages, by ISO 3166-1 alpha-2 code (unknown codes show as the code)."""

from __future__ import annotations

COUNTRIES: dict[str, tuple[str, str]] = {
    "CN": ("中国", "China"), "KR": ("韩国", "South Korea"), "JP": ("日本", "Japan"), "US": ("美国", "United States"),
    "GB": ("英国", "United Kingdom"), "DE": ("德国", "Germany"), "FR": ("法国", "France"), "IT": ("意大利", "Italy"),
    "ES": ("西班牙", "Spain"), "PT": ("葡萄牙", "Portugal"), "NL": ("荷兰", "Netherlands"), "BE": ("比利时", "Belgium"),
    "CH": ("瑞士", "Switzerland"), "AT": ("奥地利", "Austria"), "SE": ("瑞典", "Sweden"), "NO": ("挪威", "Norway"),
    "DK": ("丹麦", "Denmark"), "FI": ("芬兰", "Finland"), "IE": ("爱尔兰", "Ireland"), "PL": ("波兰", "Poland"),
    "CZ": ("捷克", "Czechia"), "HU": ("匈牙利", "Hungary"), "GR": ("希腊", "Greece"), "RO": ("罗马尼亚", "Romania"),
    "UA": ("乌克兰", "Ukraine"), "RU": ("俄罗斯", "Russia"), "BY": ("白俄罗斯", "Belarus"), "KZ": ("哈萨克斯坦", "Kazakhstan"),
    "UZ": ("乌兹别克斯坦", "Uzbekistan"), "MN": ("蒙古", "Mongolia"), "TR": ("土耳其", "Türkiye"), "IL": ("以色列", "Israel"),
    "IR": ("伊朗", "Iran"), "SA": ("沙特阿拉伯", "Saudi Arabia"), "AE": ("阿联酋", "United Arab Emirates"),
    "EG": ("埃及", "Egypt"), "MA": ("摩洛哥", "Morocco"), "NG": ("尼日利亚", "Nigeria"), "GH": ("加纳", "Ghana"),
    "KE": ("肯尼亚", "Kenya"), "ET": ("埃塞俄比亚", "Ethiopia"), "TZ": ("坦桑尼亚", "Tanzania"), "ZA": ("南非", "South Africa"),
    "CM": ("喀麦隆", "Cameroon"), "SN": ("塞内加尔", "Senegal"), "IN": ("印度", "India"), "PK": ("巴基斯坦", "Pakistan"),
    "BD": ("孟加拉国", "Bangladesh"), "LK": ("斯里兰卡", "Sri Lanka"), "NP": ("尼泊尔", "Nepal"), "TH": ("泰国", "Thailand"),
    "VN": ("越南", "Vietnam"), "MY": ("马来西亚", "Malaysia"), "SG": ("新加坡", "Singapore"), "ID": ("印度尼西亚", "Indonesia"),
    "PH": ("菲律宾", "Philippines"), "KH": ("柬埔寨", "Cambodia"), "LA": ("老挝", "Laos"), "MM": ("缅甸", "Myanmar"),
    "AU": ("澳大利亚", "Australia"), "NZ": ("新西兰", "New Zealand"), "CA": ("加拿大", "Canada"), "MX": ("墨西哥", "Mexico"),
    "BR": ("巴西", "Brazil"), "AR": ("阿根廷", "Argentina"), "CL": ("智利", "Chile"), "CO": ("哥伦比亚", "Colombia"),
    "PE": ("秘鲁", "Peru"), "VE": ("委内瑞拉", "Venezuela"), "CU": ("古巴", "Cuba"), "JM": ("牙买加", "Jamaica"),
    "HK": ("中国香港", "Hong Kong, China"), "MO": ("中国澳门", "Macao, China"), "TW": ("中国台湾", "Taiwan, China"),
    "KP": ("朝鲜", "North Korea"), "AF": ("阿富汗", "Afghanistan"), "IQ": ("伊拉克", "Iraq"), "JO": ("约旦", "Jordan"),
    "LB": ("黎巴嫩", "Lebanon"), "SY": ("叙利亚", "Syria"), "YE": ("也门", "Yemen"), "DZ": ("阿尔及利亚", "Algeria"),
    "TN": ("突尼斯", "Tunisia"), "SD": ("苏丹", "Sudan"), "UG": ("乌干达", "Uganda"), "RW": ("卢旺达", "Rwanda"),
    "ZW": ("津巴布韦", "Zimbabwe"), "ZM": ("赞比亚", "Zambia"), "AO": ("安哥拉", "Angola"), "MZ": ("莫桑比克", "Mozambique"),
    "MG": ("马达加斯加", "Madagascar"), "CI": ("科特迪瓦", "Côte d'Ivoire"), "BJ": ("贝宁", "Benin"), "TG": ("多哥", "Togo"),
    "RS": ("塞尔维亚", "Serbia"), "HR": ("克罗地亚", "Croatia"), "BG": ("保加利亚", "Bulgaria"), "SK": ("斯洛伐克", "Slovakia"),
    "LT": ("立陶宛", "Lithuania"), "LV": ("拉脱维亚", "Latvia"), "EE": ("爱沙尼亚", "Estonia"), "GE": ("格鲁吉亚", "Georgia"),
    "AM": ("亚美尼亚", "Armenia"), "AZ": ("阿塞拜疆", "Azerbaijan"), "KG": ("吉尔吉斯斯坦", "Kyrgyzstan"), "TJ": ("塔吉克斯坦", "Tajikistan"),
}  # fmt: skip


def country_name(code: str, lang: str) -> str:
    names = COUNTRIES.get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]
