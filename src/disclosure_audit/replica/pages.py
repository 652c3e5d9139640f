"""Pure renderers for every page (HTML) and attachment file (bytes) of the replica disclosure platform."""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from disclosure_audit.replica.model import FIELD_ORDER, SITE_ID, SITE_NAME, Attachment, Column, Item, Org

Resolve = Callable[[int], Item | None]

SITE_CODE = "3401000001"
ICP_NUMBER = "皖ICP备05001021号"
POLICE_NUMBER = "皖公网安备 34010402700602号"
HOST_ORG = "合肥市人民政府办公室"
DATA_ORG = "合肥市数据资源局"
TYPE_NAMES = {1: "信息公开制度", 2: "信息公开指南", 3: "信息公开年报", 4: "法定主动公开内容", 5: "依申请公开"}
FRAGMENT_LABEL = "publicInfoList"
FRAGMENT_PATH = "/site/label/8888"
_SQ = "'"
# what the vendor's template prints for a column with no item: the `result` parameter of the request
EMPTY_TEXT = "暂无相关信息"
LIBRARY_NAME = "行政规范性文件库"
TITLE_MAX = 30  # list titles longer than this are cut and end with an ellipsis (skin 1)

# Per label style: the h1 class of the title, the class of the body container, the label cell markup.
_TITLE_CLASS = {"A": "newstitle", "A2": "newstitle", "B": "gk_title", "C": "wztit"}
_BODY_CLASS = {"A": "wzcon j-fontContent", "A2": "wzcon j-fontContent", "B": "gkwz_contnet"}
_BODY_CLASS["C"] = "gzk-article"
_LABEL_CELL = {"A": ("th", ""), "A2": ("td", "pmingcheng_bt"), "B": ("td", "xxgk_bt"), "C": ("th", "")}


def _e(value: object) -> str:
    """HTML-escape any value for text or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def _js_str(value: str, quote: str = '"') -> str:
    """A JavaScript string literal safe inside an inline <script> (no quote, backslash or `</` breaks out)."""
    out = []
    for ch in value:
        if ch in ("\\", "'", '"', "<", ">", "&") or ord(ch) < 0x20 or ch in ("\u2028", "\u2029"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def _ymd(d: date | datetime) -> str:
    return d.strftime("%Y-%m-%d")


def item_url(organ_id: int, content_id: int) -> str:
    """The path of a detail page."""
    return f"/public/{organ_id}/{content_id}.html"


def column_url(organ_id: int, type_: int, cat_id: int | None = None) -> str:
    """The path (with query) of a catalogue shell page."""
    cat = f"&catId={cat_id}" if cat_id is not None else ""
    return f"/public/column/{organ_id}?type={type_}{cat}&action=list"


# --------------------------------------------------------------------------------------------------
# The site chrome: head assets, header with the big navigation, footer. Built once per organisation.
# --------------------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Menu entries are written as whitespace-separated words to keep the lists compact."""
    return tuple(text.split())


_NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "政务公开",
        "zwgk",
        _words("""政府信息公开 政府信息公开指南 政府信息公开制度 政府信息公开年报 法定主动公开内容
        政策文件 政策解读 市政府文件 市政府办公室文件 规范性文件 政府规章 人事信息 财政信息
        重大建设项目 公共资源配置 社会公益事业 重点领域信息公开 权责清单 政府工作报告
        政府常务会议 新闻发布会 统计信息 规划计划 应急管理 环境保护 食品药品安全 安全生产
        价格收费 社会救助 教育信息 医疗卫生 住房保障 国有企业信息"""),
    ),
    (
        "政务服务",
        "zwfw",
        _words("""个人办事 法人办事 部门服务 主题服务 便民服务 办事指南 表格下载 在线查询 网上预约
        证照办理 社保查询 公积金查询 不动产登记 户籍办理 出入境办理 企业开办 工程建设项目审批
        好差评 政务服务地图 帮办代办"""),
    ),
    (
        "互动交流",
        "hdjl",
        _words("""市长信箱 12345热线 在线访谈 意见征集 网上调查 咨询投诉 留言选登 热点回应 政民互动数据
        常见问题 民意征集 建议提案办理"""),
    ),
    (
        "走进合肥",
        "zjhf",
        _words("""合肥概况 历史沿革 行政区划 自然地理 人口民族 经济发展 城市建设 科技创新 教育文化
        旅游资源 风味美食 投资合肥 合肥年鉴 城市名片"""),
    ),
    (
        "专题专栏",
        "ztzl",
        _words("""优化营商环境 乡村振兴 长三角一体化 安全生产月 全国文明城市 创新驱动发展 政务公开标准化
        双随机一公开 信用合肥 法治政府建设 节能减排 垃圾分类 民生工程"""),
    ),
)

_DEPARTMENTS = _words(
    """市发展改革委 市教育局 市科技局 市经济和信息化局 市民族宗教局 市公安局 市民政局 市司法局
市财政局 市人力资源社会保障局 市自然资源和规划局 市生态环境局 市城乡建设局 市交通运输局 市水务局
市农业农村局 市商务局 市文化和旅游局 市卫生健康委 市退役军人事务局 市应急管理局 市审计局 市国资委
市市场监管局 市体育局 市统计局 市医保局 市林业和园林局 市城市管理局 市数据资源局 市信访局 市人防办
市地方金融监管局 市投资促进局 市重点工程建设管理局 市公共资源交易监督管理局 市住房保障和房产管理局
市粮食和物资储备局 市地震局 市气象局 市档案馆 市供销社 市机关事务管理局 市外事办"""
)
_DEPARTMENT_LINKS = ("信息公开", "政策文件", "办事服务", "互动交流")

_COUNTIES = _words("瑶海区 庐阳区 蜀山区 包河区 长丰县 肥东县 肥西县 庐江县 巢湖市 高新区 经开区 新站高新区")

_FRIENDLY = (
    ("中国政府网", "https://www.gov.cn/"),
    ("安徽省人民政府", "https://www.ah.gov.cn/"),
    ("淮北市人民政府", "https://www.huaibei.gov.cn/"),
    ("亳州市人民政府", "https://www.bozhou.gov.cn/"),
    ("宿州市人民政府", "https://www.ahsz.gov.cn/"),
    ("蚌埠市人民政府", "https://www.bengbu.gov.cn/"),
    ("阜阳市人民政府", "https://www.fy.gov.cn/"),
    ("淮南市人民政府", "https://www.huainan.gov.cn/"),
    ("滁州市人民政府", "https://www.chuzhou.gov.cn/"),
    ("六安市人民政府", "https://www.luan.gov.cn/"),
    ("马鞍山市人民政府", "https://www.mas.gov.cn/"),
    ("芜湖市人民政府", "https://www.wuhu.gov.cn/"),
    ("宣城市人民政府", "https://www.xuancheng.gov.cn/"),
    ("铜陵市人民政府", "https://www.tl.gov.cn/"),
    ("池州市人民政府", "https://www.chizhou.gov.cn/"),
    ("安庆市人民政府", "https://www.anqing.gov.cn/"),
    ("黄山市人民政府", "https://www.huangshan.gov.cn/"),
)

_ORG_MENU = ("机构职能", "领导信息", "内设机构", "下属单位", "联系方式", "工作动态", "通知公告", "政策法规")

_CSS_BLOCKS = (
    ("body", "margin:0;padding:0;font:14px/1.8 'Microsoft YaHei',SimSun,Arial,sans-serif;color:#333"),
    ("a", "color:#333;text-decoration:none"),
    ("a:hover", "color:#1061b3;text-decoration:underline"),
    (".clearfix:after", "content:'';display:block;height:0;clear:both;visibility:hidden"),
    (".container", "width:1200px;margin:0 auto;position:relative"),
    (".top-bar", "height:36px;line-height:36px;background:#f5f5f5;border-bottom:1px solid #e5e5e5"),
    (".header", "height:150px;background:#1061b3 url(/assets/images/head_bg.jpg) no-repeat center top"),
    (".logo", "float:left;margin-top:30px;font-size:30px;color:#fff;font-weight:bold"),
    (".search", "float:right;margin-top:56px;width:340px;height:36px;background:#fff;border-radius:3px"),
    (".search input", "border:0;width:280px;height:36px;padding:0 10px;outline:none"),
    (".nav", "height:50px;background:#0d4f93"),
    (".nav > ul > li", "float:left;width:16.66%;text-align:center;position:relative"),
    (".nav > ul > li > a", "display:block;color:#fff;font-size:18px;line-height:50px"),
    (".nav .sub", "display:none;position:absolute;left:0;top:50px;width:600px;background:#fff;z-index:99"),
    (".nav li:hover .sub", "display:block"),
    (".nav .sub a", "float:left;width:25%;line-height:32px;color:#333;font-size:14px"),
    (".bmwz", "margin:10px 0;border:1px solid #e5e5e5;padding:10px"),
    (".bmwz dl", "float:left;width:25%;margin:0 0 8px"),
    (".bmwz dt", "font-weight:bold;color:#1061b3"),
    (".bmwz dd", "display:inline;margin:0 4px 0 0;font-size:12px"),
    (".position", "height:40px;line-height:40px;border-bottom:1px solid #e5e5e5;color:#666"),
    (".xxgk_left", "float:left;width:260px;background:#f7f9fc"),
    (".xxgk_right", "float:right;width:920px"),
    (".xxgk_tree li a", "display:block;padding:0 20px;line-height:40px;border-bottom:1px dashed #dde3ea"),
    (".xxgk_nav_list li", "height:40px;line-height:40px;border-bottom:1px dashed #e5e5e5;overflow:hidden"),
    (".xxgk_nav_list li a", "float:left;max-width:780px;overflow:hidden;white-space:nowrap"),
    (".xxgk_nav_list .date", "float:right;color:#999"),
    (".xxgk_navli ul li", "float:left;line-height:40px;border-bottom:1px dashed #e5e5e5"),
    (".xxgk_navli .xh", "width:60px;text-align:center"),
    (".xxgk_navli .yh", "width:200px"),
    (".xxgk_navli .mc", "width:520px"),
    (".xxgk_navli .rq", "width:120px;text-align:center"),
    (".xxgk_navli .split", "color:#ccc;margin:0 6px"),
    (".navli_hover", "position:absolute;width:560px;background:#fff;border:1px solid #1061b3;padding:12px"),
    (".vitem", "overflow:hidden;line-height:26px"),
    (".vitem .vname", "float:left;width:90px;color:#666"),
    (".div_table_suoyin", "margin:16px 0;border:1px solid #dde3ea"),
    (".table_suoyin", "width:100%;border-collapse:collapse"),
    (".table_suoyin th, .table_suoyin td", "border:1px solid #dde3ea;padding:6px 10px;text-align:left"),
    (".table_suoyin th, .pmingcheng_bt, .xxgk_bt", "width:110px;background:#f5f8fc;font-weight:normal"),
    (".pmingcheng, .pmingcheng1", "word-break:break-all"),
    (".newstitle, .gk_title, .wztit", "font-size:26px;line-height:40px;text-align:center;color:#1061b3"),
    (".wzcon, .gkwz_contnet, .gzk-article", "font-size:16px;line-height:2;padding:20px 0"),
    (".wzcon p, .gkwz_contnet p, .gzk-article p", "text-indent:2em;margin:0 0 10px"),
    (".xgjd", "margin:20px 0;padding:10px 16px;background:#f5f8fc;border-left:3px solid #1061b3"),
    (".xxgk_tt", "display:inline-block;min-width:80px;color:#666"),
    (".nb_table", "width:100%;border-collapse:collapse;margin:10px 0"),
    (".nb_table td", "border:1px solid #333;padding:4px;text-align:center;font-size:14px"),
    (".footer", "margin-top:30px;padding:20px 0;background:#0d4f93;color:#dfe8f3;font-size:13px"),
    (".footer a", "color:#dfe8f3"),
    (".footer .jiucuo", "float:left;margin-right:20px"),
    (".hidden-xs", "display:block"),
    (".hidden-lg.hidden-md", "display:none"),
)
_MEDIA_CSS = (
    ("body", "font-size:15px"),
    (".container", "width:auto;padding:0 12px"),
    (".hidden-xs", "display:none"),
    (".hidden-lg.hidden-md", "display:block"),
    (".xxgk_left", "float:none;width:auto"),
    (".xxgk_right", "float:none;width:auto"),
    (".nav", "height:auto"),
    (".nav > ul > li", "width:33.33%"),
    (".newstitle, .gk_title, .wztit", "font-size:20px;line-height:30px"),
)
_THEMES = ("blue", "red", "gray", "green")
_THEME_COLORS = ("#1061b3", "#c3161c", "#666666", "#1a7f4b")

_HEAD_SCRIPT = """<script type="text/javascript">
var siteId = "%(site)s", organId = "%(organ)s", webRoot = "/", isPublic = true;
(function () {
  function setFont(size) {
    var nodes = document.querySelectorAll(".j-fontContent, .gkwz_contnet, .gzk-article");
    for (var i = 0; i < nodes.length; i++) { nodes[i].style.fontSize = size + "px"; }
  }
  window.doZoom = setFont;
  window.printPage = function () { window.print(); };
  window.closePage = function () { window.opener = null; window.open("", "_self"); window.close(); };
  window.addFavorite = function () {
    try { window.external.addFavorite(location.href, document.title); }
    catch (e) { alert("请使用Ctrl+D将本页加入收藏夹"); }
  };
  window.createPageHTML = function (opt) {
    var el = document.getElementById(opt.elem || "page_div");
    if (!el || !opt.pageCount) { return; }
    var html = [], cur = opt.currPage || 1;
    html.push('<a href="javascript:;" data-page="1">首页</a>');
    if (cur > 1) { html.push('<a href="javascript:;" data-page="' + (cur - 1) + '">上一页</a>'); }
    for (var p = Math.max(1, cur - 3); p <= Math.min(opt.pageCount, cur + 3); p++) {
      html.push(p === cur ? '<span class="current">' + p + '</span>'
                          : '<a href="javascript:;" data-page="' + p + '">' + p + '</a>');
    }
    if (cur < opt.pageCount) { html.push('<a href="javascript:;" data-page="' + (cur + 1) + '">下一页</a>'); }
    html.push('<a href="javascript:;" data-page="' + opt.pageCount + '">尾页</a>');
    html.push('<span class="total">共' + opt.pageCount + '页</span>');
    el.innerHTML = html.join("");
  };
  window.pageInfo = function (opt) {
    var count = Math.ceil((opt.total || 0) / (opt.pageSize || 15));
    window.createPageHTML({elem: opt.elem, pageCount: count, currPage: opt.currPage});
  };
})();
</script>"""


@dataclass(frozen=True)
class Chrome:
    """The parts of a page every page of one organisation shares."""

    head: str  # linked stylesheets and scripts, the inline <style> and <script>
    header: str  # top bar, logo, search, navigation and department menus
    footer: str  # links, 主办单位, 网站标识码, ICP and police record numbers


def _css() -> str:
    rules = [f"{sel}{{{body}}}" for sel, body in _CSS_BLOCKS]
    for theme, color in zip(_THEMES, _THEME_COLORS, strict=True):
        for sel in (".nav", ".footer", ".xgjd", ".newstitle", ".vitem .vname", ".xxgk_tree li.on a"):
            rules.append(f".theme-{theme} {sel}{{color:{color};border-color:{color}}}")
    media = "".join(f"{sel}{{{body}}}" for sel, body in _MEDIA_CSS)
    return '<style type="text/css">\n' + "\n".join(rules) + f"\n@media (max-width:768px){{{media}}}\n</style>"


@functools.lru_cache(maxsize=1024)
def _chrome(organ_id: int, name: str, short_name: str) -> Chrome:
    """Build the chrome of one organisation (keyed by its id; the name and short name only fill it in)."""
    head = "\n".join(
        [
            '<link rel="stylesheet" type="text/css" href="/assets/css/bootstrap.min.css">',
            '<link rel="stylesheet" type="text/css" href="/assets/css/common.css">',
            '<link rel="stylesheet" type="text/css" href="/assets/css/xxgk.css">',
            '<script type="text/javascript" src="/assets/js/jquery-1.12.4.min.js"></script>',
            '<script type="text/javascript" src="/assets/js/common.js"></script>',
            '<script type="text/javascript" src="/assets/js/xxgk.js"></script>',
            _css(),
            _HEAD_SCRIPT % {"site": SITE_ID, "organ": organ_id},
        ]
    )

    parts: list[str] = []
    parts.append(
        '<div class="top-bar"><div class="container clearfix">'
        '<span class="welcome">欢迎访问中国·合肥门户网站</span>'
        '<span class="top-links"><a href="/site/tpl/wza" target="_blank">无障碍</a>'
        '<a href="/site/tpl/zhangzhe" target="_blank">长者模式</a>'
        '<a href="/site/tpl/english" target="_blank">English</a>'
        '<a href="/site/tpl/wxgzh" target="_blank">微信</a>'
        '<a href="/site/tpl/weibo" target="_blank">微博</a>'
        '<a href="/site/tpl/app" target="_blank">移动客户端</a></span></div></div>'
    )
    parts.append(
        '<div class="header"><div class="container clearfix">'
        f'<a class="logo" href="/" title="{_e(SITE_NAME)}">'
        f'<img src="/assets/images/logo.png" alt="{_e(SITE_NAME)}"><span>{_e(name)}</span></a>'
        '<form class="search" action="/search/index" method="get" target="_blank">'
        f'<input type="hidden" name="siteId" value="{SITE_ID}">'
        f'<input type="hidden" name="organId" value="{organ_id}">'
        '<input type="text" name="keywords" placeholder="请输入关键词" aria-label="搜索">'
        '<button type="submit">搜索</button></form></div></div>'
    )
    nav = ['<div class="nav"><div class="container"><ul class="clearfix">', '<li><a href="/">首页</a></li>']
    for title, slug, subs in _NAV:
        nav.append(f'<li><a href="/{slug}/index.html">{_e(title)}</a><div class="sub clearfix">')
        for i, sub in enumerate(subs):
            nav.append(f'<a href="/{slug}/{slug}{i + 1:02d}/index.html" title="{_e(sub)}">{_e(sub)}</a>')
        nav.append("</div></li>")
    nav.append("</ul></div></div>")
    parts.append("".join(nav))

    org_menu = [f'<div class="org-menu container"><h2>{_e(short_name)}</h2><ul class="clearfix">']
    for i, label in enumerate(_ORG_MENU):
        org_menu.append(f'<li><a href="/org{organ_id}/m{i + 1:02d}/index.html">{_e(label)}</a></li>')
    org_menu.append(f'<li><a href="{_e(column_url(organ_id, 4))}">政府信息公开目录</a></li>')
    for type_ in (1, 2, 3, 5):
        org_menu.append(f'<li><a href="{_e(column_url(organ_id, type_))}">{_e(TYPE_NAMES[type_])}</a></li>')
    org_menu.append("</ul></div>")
    parts.append("".join(org_menu))

    dept = ['<div class="bmwz container clearfix" style="display:none"><h3>部门网站</h3>']
    for i, dname in enumerate(_DEPARTMENTS):
        base = f"/bmwz/{i + 1:03d}"
        dept.append(f'<dl><dt><a href="{base}/index.html" title="{_e(dname)}">{_e(dname)}</a></dt>')
        for j, link in enumerate(_DEPARTMENT_LINKS):
            dept.append(f'<dd><a href="{base}/c{j + 1}/index.html">{_e(link)}</a></dd>')
        dept.append("</dl>")
    dept.append("<h3>县（市）区、开发区</h3>")
    for i, cname in enumerate(_COUNTIES):
        href = f"/xsq/{i + 1:02d}/index.html"
        dept.append(f'<dl><dt><a href="{href}" title="{_e(cname)}">{_e(cname)}</a></dt></dl>')
    dept.append("</div>")
    parts.append("".join(dept))
    header = "\n".join(parts)

    foot: list[str] = ['<div class="footer"><div class="container clearfix">']
    foot.append('<div class="friendly"><select onchange="if(this.value){window.open(this.value);}">')
    foot.append('<option value="">政府网站</option>')
    for fname, url in _FRIENDLY:
        foot.append(f'<option value="{_e(url)}">{_e(fname)}</option>')
    foot.append("</select></div>")
    foot.append(
        '<div class="foot-links"><a href="/site/tpl/map" target="_blank">网站地图</a> | '
        '<a href="/site/tpl/contact" target="_blank">联系我们</a> | '
        '<a href="/site/tpl/statement" target="_blank">网站声明</a> | '
        '<a href="/site/tpl/help" target="_blank">使用帮助</a></div>'
    )
    foot.append(
        '<a class="jiucuo" href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code='
        f'{SITE_CODE}" target="_blank"><img src="/assets/images/jiucuo.png" alt="政府网站找错"></a>'
        '<a class="dzjg" href="https://bszs.conac.cn/sitename?method=show&amp;id=0" target="_blank">'
        '<img src="/assets/images/red.png" alt="党政机关"></a>'
    )
    foot.append(
        f"<p>主办单位：{_e(HOST_ORG)}　承办单位：{_e(DATA_ORG)}　本栏目由{_e(name)}负责维护</p>"
        f"<p>网站标识码：{SITE_CODE}　"
        f'<a href="https://beian.miit.gov.cn/" target="_blank">{_e(ICP_NUMBER)}</a>　'
        '<a href="http://www.beian.gov.cn/portal/registerSystemInfo" target="_blank">'
        f"{_e(POLICE_NUMBER)}</a></p>"
        "<p>建议使用1280×768分辨率，IE9以上版本浏览器浏览本网站</p>"
    )
    foot.append("</div></div>")
    foot.append(
        '<script type="text/javascript">'
        "$(function () { $('.nav > ul > li').hover(function () { $(this).addClass('on'); },"
        " function () { $(this).removeClass('on'); }); });</script>"
    )
    return Chrome(head=head, header=header, footer="\n".join(foot))


def chrome(org: Org | None) -> Chrome:
    """The shared chrome of an organisation's pages (None: the site-wide pages)."""
    if org is None:
        return _chrome(0, "政府信息公开", "政府信息公开")
    return _chrome(org.organ_id, org.name, org.short_name)


def _page(
    *,
    org: Org | None,
    title: str,
    metas: Sequence[tuple[str, str]],
    main: str,
    encoding: str = "utf-8",
) -> str:
    ch = chrome(org)
    meta_html = "\n".join(f'<meta name="{_e(k)}" content="{_e(v)}">' for k, v in metas)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={_e(encoding)}">\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{_e(title)}</title>\n"
        f'<meta name="SiteId" content="{SITE_ID}">\n<meta name="SiteName" content="{_e(SITE_NAME)}">\n'
        f"{meta_html}\n{ch.head}\n</head>\n<body>\n{ch.header}\n"
        f'<div class="main container clearfix">\n{main}\n</div>\n{ch.footer}\n</body>\n</html>\n'
    )


def _position(org: Org | None, *crumbs: tuple[str, str | None]) -> str:
    out = ['<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/public/">政府信息公开</a>']
    if org is not None:
        out.append(f' &gt; <a href="{_e(column_url(org.organ_id, 4))}">{_e(org.name)}</a>')
    for text, href in crumbs:
        out.append(f' &gt; <a href="{_e(href)}">{_e(text)}</a>' if href else f" &gt; <span>{_e(text)}</span>")
    out.append("</div>")
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# The organisation index
# --------------------------------------------------------------------------------------------------

_GROUP_ORDER = ("市政府", "市政府部门", "县（市）区、开发区")


def org_group(org: Org) -> str:
    """Which heading of the /public/ index an organisation is listed under."""
    name = org.name
    if name.startswith("合肥市人民政府"):
        return "市政府"
    if any(name.endswith(s) for s in ("区人民政府", "县人民政府", "管委会")) or (
        name.endswith("市人民政府") and not name.startswith("合肥")
    ):
        return "县（市）区、开发区"
    return "市政府部门"


def render_index(orgs: Iterable[Org], as_of: date | datetime) -> str:
    """The /public/ organisation index: organisations grouped, each a link to its catalogue."""
    groups: dict[str, list[Org]] = {g: [] for g in _GROUP_ORDER}
    for org in orgs:
        groups[org_group(org)].append(org)
    main = ['<div class="xxgk_index">', _position(None), '<h1 class="xxgk_index_title">政府信息公开</h1>']
    main.append(f'<p class="update">信息更新至：{_ymd(as_of)}</p>')
    for gname in _GROUP_ORDER:
        members = groups[gname]
        if not members:
            continue
        main.append(f'<div class="org_group"><h2 class="group_title">{_e(gname)}</h2>')
        main.append('<ul class="org_list clearfix">')
        for org in members:
            href = _e(column_url(org.organ_id, 4))
            main.append(f'<li><a href="{href}" title="{_e(org.name)}">{_e(org.name)}</a></li>')
        main.append("</ul></div>")
    main.append("</div>")
    return _page(
        org=None,
        title=f"政府信息公开_{SITE_NAME}",
        metas=[("ColumnName", "政府信息公开"), ("ColumnType", "信息公开")],
        main="\n".join(main),
    )


# --------------------------------------------------------------------------------------------------
# The catalogue shell
# --------------------------------------------------------------------------------------------------


def _report_column(org: Org) -> Column | None:
    for col in org.columns:
        if col.type == 3:
            return col
    for col in org.columns:
        if col.kind == "report":
            return col
    return None


def library_url(organ_id: int, cat_ids: Sequence[int]) -> str:
    """The 行政规范性文件库 page of an organisation: /public/column/<organId>?type=6&catIds=a,b&action=list."""
    return f"/public/column/{organ_id}?type=6&catIds={','.join(str(c) for c in cat_ids)}&action=list"


def library_columns(org: Org) -> list[Column]:
    """The catalogue columns whose documents the organisation's library lists: its normative ones."""
    return [c for c in org.columns if c.type == 4 and c.name in ("规范性文件", "行政规范性文件")]


def _tree(org: Org, type_: int, column: Column | None, library: bool = False) -> str:
    current = column.cat_id if column is not None else None
    out = [f'<div class="xxgk_left"><h2 class="org_name">{_e(org.name)}</h2><ul class="xxgk_tree">']

    def li(text: str, href: str, on: bool) -> None:
        cls = ' class="on"' if on else ""
        out.append(f'<li{cls}><a href="{_e(href)}" title="{_e(text)}">{_e(text)}</a></li>')

    li(TYPE_NAMES[1], column_url(org.organ_id, 1), type_ == 1)
    li(TYPE_NAMES[2], column_url(org.organ_id, 2), type_ == 2)
    out.append(f'<li class="parent"><a href="{_e(column_url(org.organ_id, 4))}">{_e(TYPE_NAMES[4])}</a><ul>')
    for col in org.columns:
        if col.type == 4:
            li(col.name, column_url(org.organ_id, 4, col.cat_id), type_ == 4 and col.cat_id == current)
    out.append("</ul></li>")
    reports = [c for c in org.columns if c.type == 3]
    if reports:
        for col in reports:
            li(col.name, column_url(org.organ_id, 3, col.cat_id), type_ == 3 and col.cat_id == current)
    else:
        li(TYPE_NAMES[3], column_url(org.organ_id, 3), type_ == 3)
    li(TYPE_NAMES[5], column_url(org.organ_id, 5), type_ == 5)
    if library:
        cats = [c.cat_id for c in library_columns(org)]
        li(LIBRARY_NAME, library_url(org.organ_id, cats), type_ == 6)
    out.append("</ul></div>")
    return "".join(out)


def _list_script(org: Org, type_: int, column: Column | None, style: str = "literal") -> str:
    """The inline script that loads the list fragment; skin 1 and skin 2 sites write it differently.

    `style` (Variants.shell_params) says how the script passes the parameters: literals; variables
    declared earlier in the page; concatenations; the SiteId read from the page's <meta>; or values
    the script works out only when it runs (from location and a helper function).
    """
    cat = str(column.cat_id) if column is not None else ""
    q = _SQ if org.skin == 2 else '"'
    label, site, organ, type_v, cat_v, file_v = (
        _js_str(FRAGMENT_LABEL, q),
        str(SITE_ID),
        _js_str(str(org.organ_id), q) if org.skin == 2 else str(org.organ_id),
        _js_str(str(type_), q) if org.skin == 2 else str(type_),
        _js_str(cat, q) if (org.skin == 2 or not cat) else cat,
        _js_str(org.template, q),
    )
    if org.skin == 2:
        site = _js_str(str(SITE_ID), q)
    head = ""
    if style == "variable":
        head = (
            f"var siteId = {site}, organId = {organ}, columnType = {type_v};\n"
            f"var catId = {cat_v};\nvar listTemplate = {file_v};\n"
        )
        site, organ, type_v, cat_v, file_v = "siteId", "organId", "columnType", "catId", "listTemplate"
    elif style == "concat":
        half = len(org.template) // 2
        head = f"var tplDir = {_js_str(org.template[:half], q)};\n"
        file_v = f"tplDir + {_js_str(org.template[half:], q)}"
        organ = f"{q}{q} + {org.organ_id}"
        if cat:
            cat_v = f"{q}{cat[:1]}{q} + {q}{cat[1:]}{q}"
    elif style == "meta":
        site = f"$({q}meta[name=SiteId]{q}).attr({q}content{q})"
    elif style == "runtime":
        head = (
            "function queryValue(name) {\n"
            "  var m = new RegExp('[?&]' + name + '=([^&]*)').exec(location.search);\n"
            "  return m ? decodeURIComponent(m[1]) : '';\n}\n"
        )
        organ = "location.pathname.split('/').pop()"
        type_v = f"queryValue('type') || {type_v}"
        if cat:
            cat_v = "queryValue('catId')"
    result = _js_str(EMPTY_TEXT, q)
    if org.skin == 2:
        params = (
            f"labelName: {label}, siteId: {site}, organId: {organ}, "
            f"type: {type_v}, catId: {cat_v}, pageSize: 15, result: {result}, file: {file_v}"
        )
        return (
            '<script type="text/javascript">\n'
            f"{head}var listParams = {{{params}}};\n"
            "function getPublicInfo(pageIndex) {\n"
            f"  $.get('{FRAGMENT_PATH}', $.extend({{}}, listParams, {{pageIndex: pageIndex}}),\n"
            "    function (d) { $('#public_info_list').html(d); });\n}\n"
            f"getPublicInfo({org.page_base});\n</script>"
        )
    params = (
        f"labelName:{label},siteId:{site},organId:{organ},type:{type_v},"
        f"catId:{cat_v},pageSize:15,result:{result},file:{file_v}"
    )
    return (
        '<script type="text/javascript">\n'
        f"{head}var publicInfoParam = {{{params}}};\n"
        "function loadPublicInfoList(pageIndex) {\n"
        f'  $.ajax({{url:"{FRAGMENT_PATH}", type:"GET", dataType:"html",\n'
        "    data:$.extend({}, publicInfoParam, {pageIndex:pageIndex}),\n"
        '    success:function (html) { $("#public_info_list").html(html); }});\n}\n'
        f"loadPublicInfoList({org.page_base});\n</script>"
    )


def _static_text(org: Org, type_: int) -> list[str]:
    name = org.name
    if type_ == 1:
        return [
            f"为规范{name}政府信息公开工作，保障公民、法人和其他组织依法获取政府信息，根据《中华人民共和国"
            "政府信息公开条例》，结合本单位实际，制定本制度。",
            "一、政府信息公开工作由办公室统一组织协调，各处室按照“谁制作、谁公开，谁保存、谁公开”的原则"
            "做好本处室政府信息的公开工作。",
            "二、拟公开的政府信息应当依照有关规定进行保密审查，未经审查的信息不得公开。",
            "三、主动公开的政府信息应当自该信息形成或者变更之日起20个工作日内予以公开。",
            "四、本制度自印发之日起施行。",
        ]
    if type_ == 2:
        return [
            f"为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制《{name}"
            "政府信息公开指南》。",
            "一、主动公开：本机关主动公开的政府信息，通过本网站政府信息公开栏目、政务新媒体等途径公开。",
            "二、依申请公开：公民、法人或者其他组织可以通过网上申请、信函申请、当面申请等方式提出申请。",
            "三、办理时限：能够当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内予以答复。",
            "四、监督和救济：认为本机关在政府信息公开工作中侵犯其合法权益的，可以依法申请行政复议或者提起行政诉讼。",
        ]
    return [
        f"公民、法人或者其他组织向{name}申请获取政府信息的，请填写《政府信息公开申请表》。",
        "申请人可通过网上申请、信函申请或当面申请等方式提交申请，并提供身份证明。",
        "受理机构：办公室；办公时间：工作日上午9:00-12:00，下午13:00-17:00（法定节假日除外）。",
    ]


def render_shell(
    org: Org, type_: int, column: Column | None, style: str = "literal", library: bool = False
) -> str:
    """The catalogue shell /public/column/<organId>?type=<T>&catId=<catId>&action=list."""
    if type_ == 3 and column is None:
        column = _report_column(org)
    type_name = TYPE_NAMES.get(type_, "政府信息公开")
    col_name = column.name if column is not None and type_ in (3, 4) else type_name
    crumb_href = column_url(org.organ_id, type_, column.cat_id if column is not None else None)
    main = ['<div class="xxgk_main clearfix">', _position(org, (col_name, crumb_href))]
    main.append(_tree(org, type_, column, library))
    main.append(f'<div class="xxgk_right"><div class="xxgk_right_title"><h2>{_e(col_name)}</h2></div>')
    if type_ == 3 or (type_ == 4 and column is not None):
        main.append('<div class="xxgk_list_head"><span>标题</span><span>发布日期</span></div>')
        main.append('<div id="public_info_list"></div>\n<div id="page_div" class="page"></div>')
        main.append(_list_script(org, type_, column, style))
    elif type_ == 4:
        main.append('<div class="xxgk_intro">')
        main.append(f"<p>{_e(org.name)}法定主动公开内容，请点击左侧目录查看。</p>")
        for col in org.columns:
            if col.type == 4:
                href = _e(column_url(org.organ_id, 4, col.cat_id))
                main.append(f'<p class="col"><a href="{href}">{_e(col.name)}</a></p>')
        main.append("</div>")
    else:
        main.append(f'<div class="xxgk_static"><h3>{_e(org.name)}{_e(TYPE_NAMES.get(type_, ""))}</h3>')
        main.extend(f"<p>{_e(para)}</p>" for para in _static_text(org, type_))
        if type_ == 5:
            main.append('<p class="apply"><a href="/site/tpl/ysqgk" target="_blank">在线申请</a></p>')
        main.append("</div>")
    main.append("</div></div>")
    return _page(
        org=org,
        title=f"{col_name}_{org.name}_{SITE_NAME}",
        metas=[("ColumnName", col_name), ("ColumnType", type_name), ("ContentSource", org.name)],
        main="\n".join(main),
        encoding=org.encoding,
    )


def render_library(org: Org) -> str:
    """The 行政规范性文件库 page (type 6): two tabs, 有效 and 失效, each filled by its own list request
    with the vendor's validity flags (isInvalid)."""
    cats = [c.cat_id for c in library_columns(org)]
    href = library_url(org.organ_id, cats)
    params = (
        f"labelName: {_js_str(FRAGMENT_LABEL, _SQ)}, siteId: '{SITE_ID}', organId: '{org.organ_id}', type: '6', "
        f"catIds: '{','.join(str(c) for c in cats)}', pageSize: 15, result: {_js_str(EMPTY_TEXT, _SQ)}, "
        f"file: {_js_str(org.template, _SQ)}"
    )
    script = (
        '<script type="text/javascript">\n'
        f"var libParams = {{{params}}};\n"
        "function loadLibrary(box, flags, pageIndex) {\n"
        f"  $.get('{FRAGMENT_PATH}', $.extend({{}}, libParams, {{isInvalid: flags, pageIndex: pageIndex}}),\n"
        "    function (d) { $(box).html(d); });\n}\n"
        f"loadLibrary('#lib_valid', '0,3', {org.page_base});\n"
        f"loadLibrary('#lib_invalid', '1,2', {org.page_base});\n</script>"
    )
    main = [
        '<div class="xxgk_main clearfix">',
        _position(org, (LIBRARY_NAME, href)),
        _tree(org, 6, None, library=True),
        f'<div class="xxgk_right"><div class="xxgk_right_title"><h2>{_e(LIBRARY_NAME)}</h2></div>',
        '<ul class="lib_tabs clearfix"><li class="on" data-box="#lib_valid">有效</li>'
        '<li data-box="#lib_invalid">失效</li></ul>',
        '<div class="xxgk_list_head"><span>标题</span><span>发布日期</span></div>',
        '<div id="lib_valid"></div>\n<div id="lib_invalid" style="display:none"></div>',
        script,
        "</div></div>",
    ]
    return _page(
        org=org,
        title=f"{LIBRARY_NAME}_{org.name}_{SITE_NAME}",
        metas=[("ColumnName", LIBRARY_NAME), ("ColumnType", LIBRARY_NAME), ("ContentSource", org.name)],
        main="\n".join(main),
        encoding=org.encoding,
    )


# --------------------------------------------------------------------------------------------------
# The list fragment (/site/label/8888)
# --------------------------------------------------------------------------------------------------

# Skin 2 hover box: (label markup, field). Some labels are split by an inner element, as on real sites.
_HOVER_FIELDS = (
    ("索 引 号：", "index_number"),
    ("主题分类：", "topic"),
    ("组配分类：", "category"),
    ("发文日期：", "written_date"),
    ("发文机构：", "issuer"),
    ("生成日期：", "written_date"),
    ("生效时间：", "effective_date"),
    ("废止时间：", "repeal_date"),
    ('名<span style="padding-left:20px;"></span>称：', "name"),
    ('文<span style="padding-left:20px;"></span>号：', "doc_number"),
)


def _short(title: str) -> str:
    return title if len(title) <= TITLE_MAX else title[:TITLE_MAX] + "…"


def _link_target(ref: int, org: Org, resolve: Resolve) -> tuple[str, Item | None]:
    target = resolve(ref)
    organ_id = target.org.organ_id if target is not None else org.organ_id
    return item_url(organ_id, ref), target


def render_fragment(
    org: Org,
    column: Column | None,
    items: Sequence[Item],
    total: int,
    page_index: int,
    page_size: int,
    resolve: Resolve,
    empty_style: str = "marker",
    result: str | None = None,
) -> str:
    """One page of a column's list as returned by /site/label/8888 (page_index is 0-based).

    A column with no item shows the request's `result` text (EMPTY_TEXT when not given) in a
    no-data row, or, with empty_style "bare", the list template with no row."""
    page_size = max(1, page_size)
    out: list[str] = []
    if not items and total == 0:
        if empty_style == "bare":
            return '<ul class="clearfix xxgk_nav_list"></ul>\n' if org.skin != 2 else '<div class="xxgk_navli"></div>\n'
        text = _e(result if result else EMPTY_TEXT)
        if org.skin == 2:
            return f'<div class="xxgk_navli no-data"><p>{text}</p></div>\n'
        return f'<ul class="clearfix xxgk_nav_list"><li class="no-data">{text}</li></ul>\n'
    if org.skin == 2:
        back = column is not None and column.kind == "interpretation"
        word = "文件" if back else "解读"
        for i, item in enumerate(items):
            rank = page_index * page_size + i + 1
            href = item_url(item.org.organ_id, item.content_id)
            out.append('<div class="xxgk_navli"><ul class="clearfix">')
            out.append(f'<li class="xh">{rank}</li>')
            out.append(f'<li class="yh">{_e(item.fields.get("index_number", ""))}</li>')
            mc = [
                f'<li class="mc"><a class="title" href="{_e(href)}" title="{_e(item.title)}" target="_blank">'
                f"{_e(item.title)}</a>"
            ]
            if item.repealed_marker:
                mc.append('<span style="color:red">废止</span>')
            refs = item.original_ids if back else item.interpretation_ids
            links = [_link_target(ref, org, resolve)[0] for ref in refs]
            if not back:
                links += item.external_interpretations
            for n, link in enumerate(links, start=1):
                text = f"{word}{n}" if len(links) > 1 else word
                mc.append(
                    f'<span class="split">|</span><a class="a" href="{_e(link)}" target="_blank">{text}</a>'
                )
            out.append("".join(mc))
            out.append(f'</li><li class="rq">{_ymd(item.publish_at)}</li></ul>')
            out.append('<div class="navli_hover" style="display:none">')
            for label, key in _HOVER_FIELDS:
                value = _e(item.fields.get(key, ""))
                out.append(f'<div class="vitem"><div class="vname">{label}</div><p>{value}</p></div>')
            out.append("</div></div>")
        if total > page_size:
            out.append(
                '<script type="text/javascript">'
                f'pageInfo({{elem:"page_div", total:{total}, pageSize:{page_size}, '
                f"currPage:{page_index + 1}}});"
                "</script>"
            )
        return "\n".join(out) + "\n"

    out.append('<ul class="clearfix xxgk_nav_list">')
    for item in items:
        href = item_url(item.org.organ_id, item.content_id)
        marker = '<font color="red">[废止]</font>' if item.repealed_marker else ""
        out.append(
            f'<li><a href="{_e(href)}" title="{_e(item.title)}" target="_blank">{_e(_short(item.title))}</a>'
            f'{marker}<span class="date">{_ymd(item.publish_at)}</span></li>'
        )
    out.append("</ul>")
    if total > page_size:
        count = math.ceil(total / page_size)
        out.append(
            '<script type="text/javascript">'
            f"createPageHTML({{elem:'page_div', pageCount:{count}, currPage:{page_index + 1}, "
            f"prefix:'', suffix:''}});</script>"
        )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------
# The detail page
# --------------------------------------------------------------------------------------------------


def _label_cell(style_key: str, label: str) -> str:
    tag, cls = _LABEL_CELL.get(style_key, ("th", ""))
    attr = f' class="{cls}"' if cls else ""
    return f"<{tag}{attr}>{_e(label)}</{tag}>"


def _meta_rows(item: Item) -> list[tuple[str, str, str]]:
    """(field, label, value) of the fields present on the item, in table order."""
    labels = item.org.style.labels
    return [(f, labels.get(f, f), item.fields[f]) for f in FIELD_ORDER if f in item.fields]


def _meta_desktop(item: Item) -> str:
    style = item.org.style
    rows = _meta_rows(item)
    out = ['<div class="hidden-xs"><div class="div_table_suoyin"><table class="table_suoyin"><tbody>']
    for start in range(0, len(rows), 2):
        pair = rows[start : start + 2]
        cells = []
        for n, (f, label, value) in enumerate(pair):
            ident = ' id="_fileNum"' if f == "doc_number" else ""
            span = ' colspan="3"' if len(pair) == 1 and n == 0 else ""
            value_cell = f'<td class="{_e(style.value_class)}"{ident}{span}>{_e(value)}</td>'
            cells.append(_label_cell(style.key, label) + value_cell)
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div></div>")
    return "\n".join(out)


def _meta_mobile(item: Item) -> str:
    style = item.org.style
    rows = _meta_rows(item)
    if style.mobile == "plist":
        out = ['<div class="hidden-lg hidden-md"><div class="xxgk_plist">']
        for _, label, value in rows:
            out.append(f'<p><span class="xxgk_tt">{_e(label)}</span><span>{_e(value)}</span></p>')
        out.append("</div></div>")
        return "\n".join(out)
    out = ['<div class="hidden-lg hidden-md">', '<div class="div_table_suoyin">']
    out.append('<table class="table_suoyin"><tbody>')
    for _, label, value in rows:
        value_cell = f'<td class="{_e(style.value_class)}">{_e(value)}</td>'
        out.append(f"<tr>{_label_cell(style.key, label)}{value_cell}</tr>")
    out.append("</tbody></table></div></div>")
    return "\n".join(out)


def _attachment_html(att: Attachment) -> str:
    if att.via_viewer:
        src = "/static/pdfjs/web/viewer.html?file=" + att.path
        return (
            f'<div class="pdf-viewer"><iframe src="{_e(src)}" width="100%" height="800" frameborder="0" '
            f'title="{_e(att.label)}"></iframe></div>'
        )
    if att.in_script:
        return (
            f'<script type="text/javascript">var pdf={_js_str(att.path, _SQ)};</script>\n'
            f'<div id="pdfContainer" class="pdf-viewer" data-label="{_e(att.label)}"></div>'
        )
    return f'<p class="fj">附件：<a href="{_e(att.path)}" target="_blank">{_e(att.label)}</a></p>'


def _related(item: Item, resolve: Resolve) -> str:
    out = []
    for heading, refs, fallback in (
        ("相关解读：", item.interpretation_ids, "政策解读"),
        ("相关文件：", item.original_ids, "政策文件"),
    ):
        external = item.external_interpretations if heading == "相关解读：" else ()
        if not refs and not external:
            continue
        out.append(f'<div class="xgjd"><span class="xgjd_tt">{heading}</span><ul>')
        for ref in refs:
            href, target = _link_target(ref, item.org, resolve)
            text = target.title if target is not None else fallback
            out.append(f'<li><a href="{_e(href)}" target="_blank" title="{_e(text)}">{_e(text)}</a></li>')
        for href in external:
            out.append(f'<li><a href="{_e(href)}" target="_blank" title="{fallback}">{fallback}</a></li>')
        out.append("</ul></div>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# Annual report tables
# --------------------------------------------------------------------------------------------------

_T3_TOP = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def _indent(label: str) -> int:
    """Left padding (em) of a table-3 row label from its numbering: 一、 / （一） / 1."""
    if re.search(r"(^|\s)\d+\.", label):
        return 2
    if "（" in label[:4]:
        return 1
    return 0


def _table2(rows: Sequence[tuple[str, str, Sequence[tuple[str, str]]]]) -> str:
    width = 1 + max((len(cells) for _, _, cells in rows), default=1)

    def span(n: int, cells: Sequence[tuple[str, str]]) -> str:
        """The last cell of a block narrower than the table stretches to the right edge."""
        short = n == len(cells) - 1 and len(cells) + 1 < width
        return f' colspan="{width - len(cells)}"' if short else ""

    out = ['<table class="nb_table nb_table2" border="1" cellspacing="0" cellpadding="0"><tbody>']
    block: str | None = None
    heads: list[str] | None = None
    for blk, label, cells in rows:
        if blk != block:
            block, heads = blk, None
            out.append(f'<tr class="block"><td colspan="{width}">{_e(blk)}</td></tr>')
        if [col for col, _ in cells] != heads:
            heads = [col for col, _ in cells]
            head = ["<td>信息内容</td>"]
            for n, (col, _) in enumerate(cells):
                head.append(f"<td{span(n, cells)}>{_e(col)}</td>")
            out.append('<tr class="head">' + "".join(head) + "</tr>")
        tds = [f'<td class="lbl">{_e(label)}</td>']
        for n, (_, value) in enumerate(cells):
            tds.append(f"<td{span(n, cells)}>{_e(value)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _table3(spec: dict) -> str:
    columns: list[str] = list(spec.get("columns", []))
    rows = spec.get("rows", [])
    n = len(columns)
    out = ['<table class="nb_table nb_table3" border="1" cellspacing="0" cellpadding="0"><tbody>']
    if n == 7:
        out.append(f'<tr><td colspan="3" rowspan="3">{_e(_T3_TOP)}</td><td colspan="7">申请人情况</td></tr>')
        out.append(
            f'<tr><td rowspan="2">{_e(columns[0])}</td><td colspan="5">法人或其他组织</td>'
            f'<td rowspan="2">{_e(columns[6])}</td></tr>'
        )
        out.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in columns[1:6]) + "</tr>")
    else:
        heads = "".join(f"<td>{_e(c)}</td>" for c in columns)
        out.append(f'<tr><td colspan="3">{_e(_T3_TOP)}</td>{heads}</tr>')
    for label, values in rows:
        pad = _indent(label)
        style = f' style="text-align:left;padding-left:{pad}em"' if pad else ' style="text-align:left"'
        tds = "".join(f"<td>{_e(v)}</td>" for v in values)
        out.append(f'<tr><td class="lbl" colspan="3"{style}>{_e(label)}</td>{tds}</tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def _suit_groups(groups: Sequence[str]) -> tuple[str, list[str]]:
    """Split the two lawsuit groups into their shared heading and sub-labels.

    The corpus may name them "行政诉讼 未经复议直接起诉" (heading in the label) or just "未经复议直接起诉".
    """
    heads = {g.split(maxsplit=1)[0] for g in groups if len(g.split(maxsplit=1)) == 2}
    if len(heads) == 1 and all(len(g.split(maxsplit=1)) == 2 for g in groups):
        return heads.pop(), [g.split(maxsplit=1)[1] for g in groups]
    return "行政诉讼", list(groups)


def _table4(spec: dict) -> str:
    groups: list[str] = list(spec.get("groups", []))
    columns: list[str] = list(spec.get("columns", []))
    values: list[str] = list(spec.get("values", []))
    w = len(columns)
    out = ['<table class="nb_table nb_table4" border="1" cellspacing="0" cellpadding="0"><tbody>']
    if len(groups) == 3:
        suit, subs = _suit_groups(groups[1:])
        out.append(f'<tr><td colspan="{w}">{_e(groups[0])}</td><td colspan="{2 * w}">{_e(suit)}</td></tr>')
        out.append(
            "<tr>"
            + "".join(f'<td rowspan="2">{_e(c)}</td>' for c in columns)
            + "".join(f'<td colspan="{w}">{_e(sub)}</td>' for sub in subs)
            + "</tr>"
        )
        out.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in columns) * 2 + "</tr>")
    else:
        out.append("<tr>" + "".join(f'<td colspan="{w}">{_e(g)}</td>' for g in groups) + "</tr>")
        out.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in columns) * max(1, len(groups)) + "</tr>")
    out.append('<tr class="values">' + "".join(f"<td>{_e(v)}</td>" for v in values) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_report(report: dict) -> str:
    """An annual report's sections, with tables 二, 三 and 四 after the paragraphs of their sections."""
    out = ['<div class="nb_report">']
    for heading, paragraphs in report.get("sections", []):
        out.append(f'<p class="nb_bt"><strong>{_e(heading)}</strong></p>')
        out.extend(f"<p>{_e(p)}</p>" for p in paragraphs)
        lead = heading.lstrip()[:1]
        if lead == "二" and report.get("table2"):
            out.append(_table2(report["table2"]))
        elif lead == "三" and report.get("table3"):
            out.append(_table3(report["table3"]))
        elif lead == "四" and report.get("table4"):
            out.append(_table4(report["table4"]))
    out.append("</div>")
    return "\n".join(out)


def render_detail(item: Item, resolve: Resolve) -> str:
    """The detail page /public/<organId>/<contentId>.html of one item."""
    org, column, style = item.org, item.column, item.org.style
    title_cls = _TITLE_CLASS.get(style.key, "newstitle")
    body_cls = _BODY_CLASS.get(style.key, "wzcon j-fontContent")
    crumb = (column.name, column_url(org.organ_id, column.type, column.cat_id))
    main = ['<div class="xxgk_detail">', _position(org, crumb)]
    main.append(_meta_desktop(item))
    main.append(_meta_mobile(item))
    main.append(f'<div class="newsbox"><h1 class="{title_cls}">{_e(item.title)}</h1>')
    main.append(
        # no date here: the only dates on the page are the metadata table's and the PubDate meta
        f'<div class="newsinfo"><span>来源：{_e(org.name)}</span>'
        '<span class="font">【字体：<a href="javascript:doZoom(20)">大</a> '
        '<a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span></div>'
    )
    main.append(f'<div class="{body_cls}" id="zoom">')
    main.extend(f"<p>{_e(p)}</p>" for p in item.body)
    main.append("</div>")
    if isinstance(item.report, dict):
        main.append(render_report(item.report))
    if item.attachments:
        main.append('<div class="fjdown">')
        main.extend(_attachment_html(a) for a in item.attachments)
        main.append("</div>")
    related = _related(item, resolve)
    if related:
        main.append(related)
    main.append(
        '<div class="wz_tools"><a href="javascript:printPage()">打印本页</a>'
        '<a href="javascript:closePage()">关闭窗口</a><a href="javascript:addFavorite()">收藏</a></div>'
    )
    main.append("</div></div>")
    return _page(
        org=org,
        title=f"{item.title}_{org.name}_{SITE_NAME}",
        metas=[
            ("ArticleTitle", item.title),
            ("PubDate", item.publish_at.strftime("%Y-%m-%d %H:%M")),
            ("ContentSource", org.name),
            ("ColumnName", column.name),
            ("ColumnType", TYPE_NAMES.get(column.type, "")),
            ("Keywords", item.fields.get("keywords", "")),
            ("Description", item.fields.get("summary", "")),
        ],
        main="\n".join(main),
        encoding=org.encoding,
    )


# --------------------------------------------------------------------------------------------------
# Attachment files and small pages
# --------------------------------------------------------------------------------------------------


def _pdf_text(text: str) -> str:
    """ASCII-only PDF literal string content ('?' for anything else)."""
    out = []
    for ch in text:
        if ch in "\\()":
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def render_pdf(item: Item, attachment: Attachment) -> bytes:
    """A small valid one-page PDF naming the content id and the attachment path (no dates: deterministic)."""
    lines = [
        f"Content {item.content_id}",
        f"Organ {item.org.organ_id}",
        f"File {attachment.path}",
    ]
    ops = ["BT", "/F1 12 Tf", "72 770 Td"]
    for n, line in enumerate(lines):
        if n:
            ops.append("0 -18 Td")
        ops.append(f"({_pdf_text(line)}) Tj")
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (%s) /Producer (disclosure-audit replica) >>"
        % _pdf_text(f"Content {item.content_id}").encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _rtf_text(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\line ")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code >= 0x80:
            units = ch.encode("utf-16-be")
            for k in range(0, len(units), 2):
                value = int.from_bytes(units[k : k + 2], "big")
                out.append(f"\\u{value - 0x10000 if value > 0x7FFF else value}?")
        else:
            out.append("?")
    return "".join(out)


def render_doc(item: Item, attachment: Attachment) -> bytes:
    """A small RTF document (what many .doc/.wps attachments really are) with the item's title and text."""
    parts = [
        "{\\rtf1\\ansi\\ansicpg936\\deff0\\uc1",
        "{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}",
        "\\viewkind4\\pard\\qc\\f0\\fs32 " + _rtf_text(item.title) + "\\par",
        "\\pard\\fs24 " + _rtf_text(attachment.label) + "\\par",
    ]
    parts.extend("\\fi480 " + _rtf_text(p) + "\\par" for p in item.body[:3])
    parts.append("}")
    return ("\n".join(parts) + "\n").encode("ascii")


def _small_page(title: str, body: str, encoding: str = "utf-8") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={_e(encoding)}">\n'
        f"<title>{_e(title)}</title>\n"
        f'<meta name="SiteId" content="{SITE_ID}">\n<meta name="SiteName" content="{_e(SITE_NAME)}">\n'
        '<style type="text/css">body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333}'
        ".err{width:600px;margin:120px auto;padding:40px;border:1px solid #e5e5e5;text-align:center}"
        ".err h1{font-size:24px;color:#c3161c}.err a{color:#1061b3}</style>\n"
        f'</head>\n<body>\n<div class="err">\n{body}\n</div>\n</body>\n</html>\n'
    )


# --------------------------------------------------------------------------------------------------
# The legal database (/law/): the same documents as header-and-body texts
# --------------------------------------------------------------------------------------------------

LAW_PAGE_SIZE = 20
LAW_COLUMNS = ("政策文件", "规范性文件", "行政规范性文件")  # what the database republishes of an issuer
# how the database words 时效性, by the platform's canonical validity
LAW_VALIDITY = {"有效": "现行有效", "失效": "失效", "废止": "已废止", "修改": "已修改", "部分失效": "部分失效"}


def render_law_index(orgs: Iterable[Org]) -> str:
    """The legal database's index of issuers: /law/org/<id> each."""
    rows = "\n".join(f'<li><a href="/law/org/{o.organ_id}">{_e(o.name)}</a></li>' for o in orgs)
    return _small_page("法规数据库", f'<h1>法规数据库</h1>\n<ul class="law-orgs">\n{rows}\n</ul>')


def render_law_list(org: Org, items: Sequence[Item], page: int, pages: int) -> str:
    """One page (1-based) of an issuer's documents in the legal database, newest first."""
    if not items:
        return _small_page(f"{org.name}_法规数据库", '<p class="no-data">暂无记录</p>')
    rows = "\n".join(
        f'<li><a href="/law/doc/{i.content_id}.txt" title="{_e(i.title)}">{_e(_short(i.title))}</a>'
        f'<span class="date">{_ymd(i.publish_at)}</span></li>'
        for i in items
    )
    pager = f'<div class="pager" data-pages="{pages}">第{page}页，共{pages}页</div>'
    body = f'<h1>{_e(org.name)}</h1>\n<ul class="law-list">\n{rows}\n</ul>\n{pager}'
    return _small_page(f"{org.name}_法规数据库", body)


def law_title(item: Item) -> str:
    """The title as the database prints it: whitespace collapsed (it keeps no stray spaces)."""
    return " ".join(item.title.split())


def render_law_text(item: Item) -> str:
    """A document as the legal database prints it: 标题 and the header lines (label, then the value, no
    separator), then the body. Values are the database's own, normalized wording."""
    t = item.truth

    def cn_date(iso: str | None) -> str | None:
        if not iso or len(iso) != 10 or iso[4] != "-":
            return iso
        return f"{iso[:4]}年{iso[5:7]}月{iso[8:]}日"

    header = (
        ("标题", law_title(item)),
        ("发文机关", t.get("issuer")),
        ("发文日期", cn_date(t.get("written_date"))),
        ("时效性", LAW_VALIDITY.get(t.get("validity") or "")),
        ("发文字号", t.get("doc_number")),
        ("施行日期", cn_date(t.get("effective_date"))),
        ("效力级别", item.fields.get("level")),
    )
    lines = [f"{label}{value}" for label, value in header if value]
    return "\n".join([*lines, *item.body]) + "\n"


def render_not_a_pdf(item: Item, attachment: Attachment) -> str:
    """The HTML error page (served with 200) behind a link that claims to be a PDF."""
    back = item_url(item.org.organ_id, item.content_id)
    body = (
        "<h1>文件不存在或已被删除</h1>\n"
        f"<p>您访问的文件“{_e(attachment.label)}”不存在或已被删除，请联系网站管理员。</p>\n"
        f'<p><a href="{_e(back)}">返回上一页</a>　<a href="/">返回首页</a></p>'
    )
    return _small_page("提示信息", body, item.org.encoding)


def render_not_found() -> str:
    """The site's 404 page."""
    body = (
        "<h1>404 抱歉，您访问的页面不存在</h1>\n"
        "<p>您访问的页面可能已被删除、更名或暂时不可用。</p>\n"
        '<p><a href="/">返回首页</a>　<a href="/public/">政府信息公开</a></p>'
    )
    return _small_page("页面不存在", body)


def robots_txt(crawl_delay: float | None) -> str:
    """The site's robots.txt."""
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /search/", "Disallow: /private/"]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    return "\n".join(lines) + "\n"
