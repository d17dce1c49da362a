"""Text cleaning for developer text (GitHub comments, Discord messages, web and shim feedback).

`clean_text` returns what the sentiment scorers read: prose only. Code is someone's program, not an opinion
(`panic!`, `error[E0277]` and `kill -9` are not feelings), URLs and mentions carry no sentiment, and quoted
replies are another person's words. They are replaced by the placeholders `[code]`, `[url]` and `[user]`
(kept, not dropped, because "see [code]" and a bare "[code]" still read differently), quoted replies are
removed, and emoji are normalised to GitHub shortcodes (`:+1:`) so Discord's unicode emoji and GitHub's
shortcodes look alike to the model.

`topic_view` keeps code and URLs (an `error[E0277]` block or a link to the book says what the feedback is
about) but drops quoted replies and normalises emoji the same way.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CODE", "URL", "USER", "clean_text", "normalize_emoji", "topic_view"]

CODE = "[code]"
URL = "[url]"
USER = "[user]"

# Fenced blocks; an unclosed fence (truncated text) runs to the end.
_FENCE_RE = re.compile(r"(```|~~~).*?(?:\1|\Z)", re.DOTALL)
_INLINE_CODE_RE = re.compile(r"``(?!`)(.+?)``|`([^`\n]+)`")
_URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()\"'`]+(?:\([^\s()]*\)[^\s<>()\"'`]*)*", re.IGNORECASE)
_MARKDOWN_LINK_RE = re.compile(r"\[([^\]\n]{1,200})\]\(\s*[^)\s]+\s*\)")
_DISCORD_USER_RE = re.compile(r"<@[!&]?\d+>")
_DISCORD_CHANNEL_RE = re.compile(r"<#\d+>")
_DISCORD_EMOJI_RE = re.compile(r"<a?:([A-Za-z0-9_~\-]+):\d+>")
# "@name" at the start or after whitespace/punctuation, not an e-mail address or a decorator after a word.
_MENTION_RE = re.compile(r"(?<![\w@./])@[A-Za-z0-9](?:[A-Za-z0-9_\-.]{0,38}[A-Za-z0-9_])?\b")
_HTML_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_HTML_TAG_RE = re.compile(r"</?(?:details|summary|br|p|b|i|em|strong|sub|sup|kbd|img|a|code|pre|div|span)\b[^>]*>",
                          re.IGNORECASE)
# E-mail style reply header; everything after it is the quoted mail.
_REPLY_HEADER_RE = re.compile(r"(?:^|\s)On [^\n]{5,120}?wrote:.*\Z", re.DOTALL)
_WS_RE = re.compile(r"\s+")
_MULTI_PLACEHOLDER_RE = re.compile(r"(\[(?:code|url|user)\])(?:\s*\1)+")

# Unicode emoji that developers actually use, mapped to GitHub's shortcodes (the training data uses those).
_EMOJI_SHORTCODES: dict[str, str] = {
    "👍": ":+1:", "👎": ":-1:", "❤": ":heart:", "♥": ":heart:", "💖": ":sparkling_heart:", "💕": ":two_hearts:",
    "💜": ":purple_heart:", "💙": ":blue_heart:", "💚": ":green_heart:", "💛": ":yellow_heart:",
    "🧡": ":orange_heart:", "🖤": ":black_heart:", "💔": ":broken_heart:", "🎉": ":tada:", "🥳": ":partying_face:",
    "🚀": ":rocket:", "🔥": ":fire:", "⚡": ":zap:", "✨": ":sparkles:", "💯": ":100:", "🙏": ":pray:",
    "👏": ":clap:", "🙌": ":raised_hands:", "💪": ":muscle:", "👌": ":ok_hand:", "✅": ":white_check_mark:",
    "✔": ":heavy_check_mark:", "❌": ":x:", "⚠": ":warning:", "🐛": ":bug:", "🐌": ":snail:", "🐢": ":turtle:",
    "😀": ":grinning:", "😃": ":smiley:", "😄": ":smile:", "😁": ":grin:", "😆": ":laughing:", "😅": ":sweat_smile:",
    "😂": ":joy:", "🤣": ":rofl:", "🙂": ":slightly_smiling_face:", "😊": ":blush:", "😇": ":innocent:",
    "😍": ":heart_eyes:", "🥰": ":smiling_face_with_three_hearts:", "😘": ":kissing_heart:", "😉": ":wink:",
    "😎": ":sunglasses:", "🤩": ":star_struck:", "🤔": ":thinking:", "🤨": ":raised_eyebrow:", "😐": ":neutral_face:",
    "😑": ":expressionless:", "😶": ":no_mouth:", "🙄": ":roll_eyes:", "😏": ":smirk:", "😬": ":grimacing:",
    "😌": ":relieved:", "😔": ":pensive:", "😪": ":sleepy:", "😴": ":sleeping:", "😷": ":mask:",
    "🤯": ":exploding_head:", "😕": ":confused:", "🙁": ":slightly_frowning_face:", "☹": ":frowning_face:",
    "😮": ":open_mouth:", "😲": ":astonished:", "😳": ":flushed:", "🥺": ":pleading_face:", "😦": ":frowning:",
    "😧": ":anguished:", "😨": ":fearful:", "😰": ":cold_sweat:", "😥": ":disappointed_relieved:", "😢": ":cry:",
    "😭": ":sob:", "😱": ":scream:", "😖": ":confounded:", "😣": ":persevere:", "😞": ":disappointed:",
    "😓": ":sweat:", "😩": ":weary:", "😫": ":tired_face:", "🥱": ":yawning_face:", "😤": ":triumph:",
    "😡": ":rage:", "😠": ":angry:", "🤬": ":cursing_face:", "💀": ":skull:", "☠": ":skull_and_crossbones:",
    "💩": ":hankey:", "🤡": ":clown_face:", "🤷": ":shrug:", "🤦": ":facepalm:", "👀": ":eyes:", "🎯": ":dart:",
    "💥": ":boom:", "💣": ":bomb:", "⏳": ":hourglass_flowing_sand:", "⌛": ":hourglass:", "⏱": ":stopwatch:",
    "🦀": ":crab:", "📚": ":books:", "📖": ":book:", "🔧": ":wrench:", "🛠": ":hammer_and_wrench:", "📦": ":package:",
    "🙃": ":upside_down_face:", "🫠": ":melting_face:", "😵": ":dizzy_face:", "🤞": ":crossed_fingers:",
    "⭐": ":star:", "🌟": ":star2:", "🏎": ":racing_car:", "🐇": ":rabbit:",
}
# Alternative GitHub / Discord names for the same emoji, folded to one spelling.
_SHORTCODE_ALIASES: dict[str, str] = {
    ":thumbsup:": ":+1:", ":thumbs_up:": ":+1:", ":thumbsdown:": ":-1:", ":thumbs_down:": ":-1:",
    ":red_heart:": ":heart:", ":party_popper:": ":tada:", ":laugh:": ":laughing:", ":satisfied:": ":laughing:",
    ":slight_smile:": ":slightly_smiling_face:", ":face_with_rolling_eyes:": ":roll_eyes:",
    ":rolling_eyes:": ":roll_eyes:", ":face_palm:": ":facepalm:", ":man_facepalming:": ":facepalm:",
    ":woman_facepalming:": ":facepalm:", ":person_facepalming:": ":facepalm:", ":poop:": ":hankey:",
    ":shit:": ":hankey:", ":crying_face:": ":cry:", ":loudly_crying_face:": ":sob:", ":heavy_heart:": ":heart:",
    ":fire_emoji:": ":fire:", ":high_voltage:": ":zap:", ":clapping_hands:": ":clap:", ":tear:": ":cry:",
    ":slight_frown:": ":slightly_frowning_face:", ":hugging:": ":hugs:", ":hugging_face:": ":hugs:",
}
_SHORTCODE_RE = re.compile(r":[a-z0-9_+\-]{1,40}:")
# Code points that only modify a neighbouring emoji: variation selectors, ZWJ, skin tones.
_EMOJI_MODIFIERS = frozenset({"\ufe0e", "\ufe0f", "\u200d", "\u20e3"} | {chr(c) for c in range(0x1F3FB, 0x1F400)})


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        0x1F300 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or 0x2300 <= code <= 0x23FF
        or 0x1F000 <= code <= 0x1F2FF
    )


def _emoji_shortcode(char: str) -> str:
    known = _EMOJI_SHORTCODES.get(char)
    if known is not None:
        return known
    name = unicodedata.name(char, "")
    if not name:
        return ""
    return ":" + name.lower().replace(" ", "_").replace("-", "_") + ":"


def normalize_emoji(text: str) -> str:
    """Unicode and Discord custom emoji -> GitHub-style `:shortcode:`; aliases folded to one name."""
    text = _DISCORD_EMOJI_RE.sub(lambda m: f" :{m.group(1).lower()}: ", text)
    if not text.isascii():
        parts: list[str] = []
        for char in text:
            if char in _EMOJI_MODIFIERS:
                continue
            if char.isascii() or not _is_emoji(char):
                parts.append(char)
            else:
                parts.append(" " + _emoji_shortcode(char) + " ")
        text = "".join(parts)
    if ":" in text:
        text = _SHORTCODE_RE.sub(lambda m: _SHORTCODE_ALIASES.get(m.group(0), m.group(0)), text)
    return text


def _drop_quoted_replies(text: str) -> str:
    if ">" in text:
        kept = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
        text = "\n".join(kept)
    if "wrote:" in text:
        text = _REPLY_HEADER_RE.sub("", text)
    return text


def _common(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if "<" in text:
        text = _HTML_COMMENT_RE.sub(" ", text)
        text = _HTML_TAG_RE.sub(" ", text)
        text = _DISCORD_USER_RE.sub(f" {USER} ", text)
        text = _DISCORD_CHANNEL_RE.sub(" ", text)
    return text


def clean_text(text: str) -> str:
    """Prose for sentiment: code, URLs and mentions become placeholders; quotes dropped; emoji normalised."""
    text = _common(text)
    if "```" in text or "~~~" in text:
        text = _FENCE_RE.sub(f"\n{CODE}\n", text)
    text = _drop_quoted_replies(text)
    if "`" in text:
        text = _INLINE_CODE_RE.sub(f" {CODE} ", text)
    if "](" in text:
        text = _MARKDOWN_LINK_RE.sub(r"\1", text)
    if "http" in text or "www." in text or "HTTP" in text or "WWW." in text:
        text = _URL_RE.sub(f" {URL} ", text)
    if "@" in text:
        text = _MENTION_RE.sub(USER, text)
    text = normalize_emoji(text)
    text = _WS_RE.sub(" ", text).strip()
    if "[" in text:
        text = _MULTI_PLACEHOLDER_RE.sub(r"\1", text)
    return text


def topic_view(text: str) -> str:
    """Text for topic tagging: keeps code and links (they say what the feedback is about), drops quotes."""
    text = _common(text)
    text = _drop_quoted_replies(text)
    text = normalize_emoji(text)
    return _WS_RE.sub(" ", text).strip()
