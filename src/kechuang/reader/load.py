"""Load a document file (txt/html/docx/pdf) into clean, normalised text.

The normalised text is the stored text: every offset the extractor emits
refers to it, so no offset map is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"


class ReaderError(Exception):
    """A document could not be read; the message is Chinese and names the file."""


@dataclass
class LoadedDocument:
    filename: str
    text: str
    checksum: str
    title: str = ""
    outlet: str = ""
    published_on: dt.date | None = None
    encoding: str = ""
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------- decoding

def decode_bytes(data: bytes, name: str = "") -> tuple[str, str]:
    """Decode text bytes, returning (text, encoding). Raises ReaderError when unsure."""
    label = f"文件“{name}”" if name else "文件"
    if not data.strip():
        raise ReaderError(f"{label}为空,没有可读取的文字")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ReaderError(f"{label}带有 UTF-8 标记但第 {exc.start + 3} 字节无法按 UTF-8 解码") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ReaderError(f"{label}带有 UTF-16 标记但内容无法解码") from None
    if b"\x00" in data[:4096]:
        raise ReaderError(f"{label}看起来是二进制文件而不是文本(含有空字节),无法读取")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ReaderError(
            f"{label}编码无法识别:既不是 UTF-8 也不是 GB18030/GBK(第 {exc.start} 字节 0x{data[exc.start]:02x} 无效)"
        ) from None
    # GB18030 accepts many byte strings; insist that the result reads like Chinese text.
    if not _plausible_chinese(text):
        raise ReaderError(f"{label}编码无法可靠识别:按 GB18030 解码后不像中文文本,请另存为 UTF-8 后重试")
    return text, "gb18030"


_CJK = re.compile(r"[\u4e00-\u9fff]")
_COMMON = set("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞")


def _plausible_chinese(text: str) -> bool:
    sample = text[:20000]
    cjk = _CJK.findall(sample)
    visible = sum(1 for ch in sample if not ch.isspace())
    if not visible or len(cjk) < 0.3 * visible:
        return False
    common = sum(1 for ch in cjk if ch in _COMMON)
    return common >= 0.25 * len(cjk)


# ---------------------------------------------------------------- normalising

@lru_cache(maxsize=1)
def _artefacts():
    spec = yaml.safe_load((DATA_DIR / "artefacts.yaml").read_text(encoding="utf-8"))
    lines = re.compile("|".join(f"(?:{p})" for p in spec["line_patterns"]))
    inline = re.compile("|".join(f"(?:{p})" for p in spec["inline_patterns"]))
    return lines, inline


_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20,
                   0x200B: None, 0xFEFF: None, 0x2028: 0x0A, 0x2029: 0x0A})
_UNIT_START = "万亿千百十%年月日号家人名个项件位倍元美平亩条所座台套次批余多"
# a digit group standing alone before a space or the line end is a column of a table
# ("高新技术企业申报数(家) 118 100"), not the rest of a split number; nor is a time after a date
_SPACE_IN_NUMBER = re.compile(rf"(?<=\d)[ \t]+(?=[\d.{_UNIT_START}])(?![\d.,]+(?:[ \t]|$))(?!\d{{1,2}}:\d\d)|(?<=[\u4e00-\u9fff])[ \t]+(?=\d)|(?<=\d\.)[ \t]+(?=\d)", re.M)
_HEADING_MARK = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.M)
_MANY_BLANK = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


# Hard line breaks of text taken from PDFs ("新增高新技术企\n业526家"): a line that fills the
# page width and stops without closing punctuation continues on the next line.
_WRAP_END = re.compile(r"[\u4e00-\u9fff\d,、“‘(]$")
_TABLE_TAIL = re.compile(r"\s\S{0,8}$")  # a table row "…(家) 118 100" ends in spaced cells
_WRAP_NEXT = re.compile(r"^[\u4e00-\u9fff\d.%”’),、;。]")
_NOT_CONTINUATION = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|\(?[一二三四五六七八九十]{1,3}\)|\d{1,2}[.、](?!\d)|附件)")
_WRAP_MIN = 15       # shorter lines are titles, signatures, headings
_WRAP_LINES = 3      # a document hard-wraps when at least this many lines break mid-sentence


def _join_wrapped(lines: list[str], dropped_before: list[bool]) -> str:
    """Join lines broken inside a sentence (only by removing the line break, so quotes still
    match the original text once whitespace is ignored); never across a dropped line."""
    n = len(lines)
    cands = [i for i in range(n - 1)
             if len(lines[i]) >= _WRAP_MIN and not dropped_before[i + 1] and _WRAP_END.search(lines[i])
             and not _TABLE_TAIL.search(lines[i])
             and _WRAP_NEXT.match(lines[i + 1]) and not _NOT_CONTINUATION.match(lines[i + 1])]
    if len(cands) < _WRAP_LINES:
        return "\n".join(lines)
    width = sorted(len(lines[i]) for i in cands)[len(cands) // 2]
    join = {i for i in cands if len(lines[i]) >= 0.8 * width}
    return "".join(line + ("" if i in join else "\n") for i, line in enumerate(lines))[:-1] if lines else ""


def normalize(text: str) -> str:
    """Normalise decoded text; the result is what gets stored and what offsets refer to."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_FULLWIDTH)
    line_re, inline_re = _artefacts()
    kept = []
    dropped_before = []  # a dropped line (page number, furniture) sits before this kept line
    gap = False
    for line in text.split("\n"):
        if line_re.search(line):
            gap = True
            continue
        kept.append(inline_re.sub("", line).rstrip())
        dropped_before.append(gap)
        gap = False
    text = _join_wrapped(kept, dropped_before)
    text = _HEADING_MARK.sub("", text)
    text = _SPACE_IN_NUMBER.sub("", text)
    text = _MANY_BLANK.sub("\n\n", text)
    return text.strip("\n") + "\n" if text.strip() else ""


# ---------------------------------------------------------------- metadata

_OUTLET = re.compile(r"([\u4e00-\u9fff]{2,8}(?:晚报|日报|早报|时报|新闻|报))讯|^\s*([\u4e00-\u9fff]{2,6})(?:APP|App|app|客户端)\s*$|浏览“([\u4e00-\u9fff]{2,8})”", re.M)
# a date written with one kind of separator ("2023年9月18日", "2023-09-18", "2023/9/18"), not
# "2023年1-8月" (a span of months)
_FULL_DATE = re.compile(r"((?:19|20)\d\d)(?:年(\d{1,2})月(\d{1,2})日|([\-/.])(\d{1,2})\4(\d{1,2})(?![\d月]))")
# a date labelled as the page's publication date ("发布时间:2023-09-01")
_DATE_LABEL = re.compile(r"(?:发布|发表|发文|成文|印发)?(?:时间|日期)[ \t]*[::][ \t]*$|发布[ \t]*[::][ \t]*$")
# the date in a page address: ".../2018/0226/...", ".../202310/t20231030_...", ".../22/0712/..."
_URL_DATE = re.compile(r"/(?:(?P<y>(?:19|20)\d\d)[/\-_]?(?P<m>[01]\d)[/\-_]?(?P<d>[0-3]\d)"
                       r"|t(?P<ty>(?:19|20)\d\d)(?P<tm>[01]\d)(?P<td>[0-3]\d)"
                       r"|(?P<sy>[12]\d)/(?P<sm>[01]\d)(?P<sd>[0-3]\d))(?=[/_.\-])")
_URL = re.compile(r"https?://\S+")


def _detect_outlet(raw: str) -> str:
    m = _OUTLET.search(raw[:3000])
    if not m:
        return ""
    return next(g for g in m.groups() if g)


_TITLE_MAX = 60


def _detect_title(text: str) -> str:
    """The first short heading-like line; a long paragraph (an editor's note) is not a title."""
    first = ""
    for line in text.split("\n"):
        line = line.strip()
        if len(line) < 4 or not _CJK.search(line):
            continue
        if len(line) <= _TITLE_MAX and not line.endswith(("。", ",", ",", ";", ";")):
            return line
        first = first or line
    cut = re.split(r"[。,,;;]", first, maxsplit=1)[0]
    return cut[:_TITLE_MAX]


def _date(y, m, d) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except (TypeError, ValueError):
        return None


def _full_date(m: re.Match) -> dt.date | None:
    return _date(m.group(1), m.group(2) or m.group(5), m.group(3) or m.group(6))


def _detect_date(text: str, raw: str = "") -> dt.date | None:
    """The publication date: a labelled one in the head ("发布时间:2023-09-01"), else the first
    full date near the top, else the date in the page address on the first lines."""
    dates = [(m, _full_date(m)) for m in _FULL_DATE.finditer(text, 0, 1500)]
    for m, d in dates:
        if d is not None and _DATE_LABEL.search(text, max(0, m.start() - 8), m.start()):
            return d
    for m, d in dates:
        if m.start() < 600 and d is not None:
            return d
    for line in (raw or text)[:1500].split("\n")[:4]:
        for url in _URL.findall(line):
            for u in _URL_DATE.finditer(url):
                d = _date(u.group("y"), u.group("m"), u.group("d")) or \
                    _date(u.group("ty"), u.group("tm"), u.group("td")) or \
                    (_date(2000 + int(u.group("sy")), u.group("sm"), u.group("sd")) if u.group("sy") else None)
                if d is not None and d <= dt.date.today():
                    return d
    return None


# ---------------------------------------------------------------- formats

def _read_html(data: bytes, name: str) -> tuple[str, dict]:
    import trafilatura

    raw, _enc = decode_bytes(data, name)
    text = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True)
    meta = {}
    try:
        md = trafilatura.extract_metadata(raw)
        if md is not None:
            meta = {"title": md.title or "", "outlet": md.sitename or "", "date": md.date or ""}
    except Exception:  # metadata is optional
        meta = {}
    if not text or not text.strip():
        raise ReaderError(f"文件“{name}”是网页,但没有找到正文内容")
    if meta.get("title") and not text.lstrip().startswith(meta["title"]):
        text = meta["title"] + "\n\n" + text
    return text, meta


def _read_docx(data: bytes, name: str) -> tuple[str, dict]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ReaderError(f"文件“{name}”不是有效的 Word(.docx)文件或已损坏:{type(exc).__name__}") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    props = document.core_properties
    meta = {"title": props.title or "", "date": props.created.date().isoformat() if props.created else ""}
    text = "\n".join(parts)
    if not text.strip():
        raise ReaderError(f"文件“{name}”是 Word 文件,但没有文字内容")
    return text, meta


def _read_pdf(data: bytes, name: str) -> tuple[str, dict]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise ReaderError(f"文件“{name}”不是有效的 PDF 文件或已损坏:{type(exc).__name__}") from None
    text = "\n".join(pages)
    if not text.strip():
        raise ReaderError(f"文件“{name}”是 PDF,但没有文字层(可能是扫描件),无法读取")
    meta = {}
    try:
        info = reader.metadata
        if info and info.title:
            meta["title"] = str(info.title)
    except Exception:
        pass
    return text, meta


def load_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode and normalise the bytes of a file called ``name``."""
    suffix = Path(name).suffix.lower()
    if not data:
        raise ReaderError(f"文件“{name}”为空,没有可读取的文字")
    from ..limits import limits, too_large, zip_problem

    cap = limits()
    problem = too_large(len(data), cap.document_upload_mb, f"文件“{name}”")
    if problem is None and suffix == ".docx":
        problem = zip_problem(data, name)
    if problem:
        raise ReaderError(problem)
    meta: dict = {}
    encoding = ""
    if suffix in (".html", ".htm", ".xhtml"):
        raw, meta = _read_html(data, name)
    elif suffix == ".docx":
        raw, meta = _read_docx(data, name)
        encoding = "docx"
    elif suffix == ".pdf":
        raw, meta = _read_pdf(data, name)
        encoding = "pdf"
    elif suffix in ("", ".txt", ".text", ".md"):
        raw, encoding = decode_bytes(data, name)
    else:
        raise ReaderError(f"文件“{name}”的类型“{suffix}”不受支持(支持 .txt .html .docx .pdf)")
    if len(raw) > cap.document_chars * 2:  # normalising does not shrink text by more than half
        raise ReaderError(f"文件“{name}”有 {len(raw):,} 个字符,超过每个文件 {cap.document_chars:,} 个字符的上限;"
                          "请拆分后再导入")
    text = normalize(raw)
    if len(text) > cap.document_chars:
        raise ReaderError(f"文件“{name}”有 {len(text):,} 个字符,超过每个文件 {cap.document_chars:,} 个字符的上限;"
                          "请拆分后再导入")
    if not text.strip():
        raise ReaderError(f"文件“{name}”去除页面附属内容后没有正文")
    published = _detect_date(text, raw)
    if published is None and meta.get("date"):
        try:
            published = dt.date.fromisoformat(str(meta["date"])[:10])
        except ValueError:
            published = None
    return LoadedDocument(
        filename=Path(name).name,
        text=text,
        checksum=hashlib.sha256(data).hexdigest(),
        title=(meta.get("title") or _detect_title(text))[:200],
        outlet=(_detect_outlet(raw) or meta.get("outlet") or "")[:128],
        published_on=published,
        encoding=encoding,
        meta=meta,
    )


def load_file(path: str | Path) -> LoadedDocument:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReaderError(f"文件“{path}”不存在") from None
    except IsADirectoryError:
        raise ReaderError(f"“{path}”是文件夹,不是文件") from None
    except OSError as exc:
        raise ReaderError(f"文件“{path}”无法读取:{exc.strerror}") from None
    return load_bytes(data, path.name)
