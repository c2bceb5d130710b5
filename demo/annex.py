"""第五部分 附件 of a generated 部门决算: the 部门整体支出绩效自评 report and its self-assessment table.

Most published reports end with this annex (the 株洲 seed's original has one, and the domain notes
list it); it brings a generated document to the ~25 pages of a real one. The prose carries no
figure. The table (部门整体支出绩效自评表) has, as printed in real reports, a block of 资金情况 and
年度总体目标 rows, then one row per indicator (一级/二级/三级指标, 年度指标值, 实际完成值, 分值,
得分, 偏差原因) and a 总分 row: the indicator rows are what `ingest/performance.py` reads back
into raw.performance_indicators, and the truth file lists them (`performance`).
"""
from __future__ import annotations

import hashlib

from demo.layout import Cell, Grid, HCell
from demo.numbers import Accounts

# (一级指标, 二级指标, 三级指标, 年度指标值, 实际完成值, 分值, 偏差原因 when points are deducted).
# No text has a space: the page text is split on spaces into cells.
INDICATORS = [
    ("产出指标", "数量指标", "完成重点工作任务数", "≥10项", "12项", 8, "无"),
    ("产出指标", "数量指标", "开展专项检查次数", "≥6次", "7次", 6, "无"),
    ("产出指标", "数量指标", "组织业务培训场次", "≥4场", "5场", 5, "无"),
    ("产出指标", "数量指标", "政务信息公开条数", "≥120条", "136条", 5, "无"),
    ("产出指标", "质量指标", "重点任务完成率", "100%", "100%", 8, "无"),
    ("产出指标", "质量指标", "检查问题整改率", "≥95%", "96%", 6, "个别问题整改未到期"),
    ("产出指标", "质量指标", "政府采购合规率", "100%", "100%", 5, "无"),
    ("产出指标", "时效指标", "预算执行进度", "≥90%", "94%", 6, "上半年执行偏慢"),
    ("产出指标", "时效指标", "任务按时完成率", "100%", "100%", 5, "无"),
    ("产出指标", "成本指标", "预算控制率", "≤100%", "98%", 5, "无"),
    ("产出指标", "成本指标", "三公经费变动率", "≤0%", "-3%", 5, "无"),
    ("效益指标", "社会效益指标", "服务对象覆盖率", "≥90%", "93%", 8, "偏远片区覆盖不足"),
    ("效益指标", "社会效益指标", "政策知晓率", "≥85%", "88%", 6, "宣传方式较单一"),
    ("效益指标", "可持续影响指标", "长效机制建立率", "≥90%", "92%", 6, "部分制度待修订"),
    ("效益指标", "可持续影响指标", "信息化系统运行率", "≥98%", "99%", 6, "无"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, "无"),
]
assert sum(weight for *_, weight, _ in INDICATORS) == 100

REPORT = [
    ("h1", "第五部分 附件"),
    ("h2", "部门整体支出绩效自评情况"),
    ("h3", "一、部门基本情况"),
    ("p", "本部门认真贯彻落实上级决策部署，围绕年度重点工作任务，统筹安排部门预算资金，"
          "强化预算执行管理，各项工作有序推进。部门整体支出绩效自评范围包括本部门本级及所属预算单位"
          "的全部收入和支出，评价内容涵盖预算编制、预算执行、资产管理、项目管理和绩效目标完成情况。"),
    ("h3", "二、绩效目标设定情况"),
    ("p", "年初，本部门按照职责任务和年度工作计划，设定了部门整体支出绩效目标，"
          "从产出数量、产出质量、产出时效、产出成本、社会效益、可持续影响和服务对象满意度等方面"
          "细化量化绩效指标，并随部门预算一并报送财政部门审核。"),
    ("h3", "三、自评工作开展情况"),
    ("p", "本部门成立绩效自评工作小组，由分管领导牵头，财务部门具体组织，各业务科室配合，"
          "采取资料审核、数据比对、现场核查和问卷调查相结合的方式，对照绩效目标逐项核实指标完成情况，"
          "客观分析偏差原因，形成自评结论。自评结果见下表。"),
    ("h3", "四、绩效目标完成情况分析"),
    ("p", "从产出情况看，本部门年度重点工作任务全部完成，专项检查和业务培训按计划开展，"
          "政府采购和资产管理程序规范。从效益情况看，政策宣传覆盖面进一步扩大，服务对象获得感增强，"
          "长效管理机制逐步健全。从满意度情况看，服务对象对本部门工作总体评价较好。"),
    ("h3", "五、存在的问题及原因分析"),
    ("p", "一是预算执行进度在年度内分布不够均衡，上半年执行偏慢；二是个别绩效指标设置不够细化，"
          "可衡量性有待提高；三是绩效评价结果与预算安排的衔接还需加强，部分制度有待修订完善。"),
    ("h3", "六、改进措施及结果应用"),
    ("p", "下一步，本部门将加强预算执行监控，建立执行进度通报机制；进一步完善绩效目标编制，"
          "提高指标的科学性和可衡量性；强化自评结果应用，将评价结果作为改进管理、调整支出结构和"
          "编制以后年度预算的重要参考，切实提高财政资金使用效益。"),
    ("h3", "七、其他需要说明的情况"),
    ("p", "本部门无其他需要说明的情况。绩效自评结果已按规定随部门决算一并公开，接受社会监督。"),
]

TITLE = "部门整体支出绩效自评表"
HEADER = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因"]
WIDTHS = [56.0, 92.0, 100.0, 54.0, 54.0, 32.0, 32.0, 95.0]  # the portrait text width, 515 pt


def performance_rows(acc: Accounts) -> list[dict]:
    """The indicator rows and the 总分 row of this department and year, as the truth lists them."""
    rows, total = [], 0
    for i, (level1, level2, indicator, target, actual, weight, reason) in enumerate(INDICATORS):
        # an indicator with a shortfall reason loses a point in about half of the documents;
        # which ones depends on the department and year (0 to 5 deductions)
        seed = hashlib.sha256(f"{acc.department}|{acc.year}|{i}".encode()).digest()[0]
        deducted = reason != "无" and seed % 2 == 0
        score = weight - 1 if deducted else weight
        total += score
        rows.append({"category": level2, "indicator": indicator, "target": target, "actual": actual,
                     "weight": str(weight), "score": str(score), "note": reason if deducted else None,
                     "level1": level1})
    rows.append({"category": None, "indicator": "总分", "target": None, "actual": None,
                 "weight": "100", "score": str(total), "note": None, "level1": None})
    return rows


def self_assessment_grids(acc: Accounts, rows: list[dict]) -> tuple[Grid, Grid]:
    """The table in two parts: 资金情况 and 年度总体目标, then the indicators (one page each)."""
    budget, final = acc.income_total, acc.expenditure_total
    funds = Grid([120.0, 100.0, 100.0, 100.0, 95.0],
                 [HCell(0, 0, "项目"), HCell(0, 1, "年初预算数"), HCell(0, 2, "全年预算数"),
                  HCell(0, 3, "全年执行数"), HCell(0, 4, "执行率")],
                 [[Cell("年度资金总额"), Cell(_wan(budget), align="r"), Cell(_wan(budget), align="r"),
                   Cell(_wan(final), align="r"), Cell(_rate(final, budget), align="r")],
                  [Cell("预期目标"), Cell(_goal(acc), span=4)],
                  [Cell("实际完成情况"), Cell(_outcome(acc), span=4)]],
                 font_size=10, min_height=26)
    header = [HCell(0, i, text) for i, text in enumerate(HEADER)]
    body = []
    for row in rows:
        if row["indicator"] == "总分":
            body.append([Cell("总分", span=5, align="c"), Cell(row["weight"], align="r"),
                         Cell(row["score"], align="r"), Cell("")])
            continue
        body.append([Cell(row["level1"] if _first(rows, row, "level1") else ""),
                     Cell(row["category"] if _first(rows, row, "category") else ""),
                     Cell(row["indicator"]), Cell(row["target"], align="c"), Cell(row["actual"], align="c"),
                     Cell(row["weight"], align="r"), Cell(row["score"], align="r"), Cell(row["note"] or "")])
    return funds, Grid(WIDTHS, header, body, font_size=9, min_height=38)


def _first(rows: list[dict], row: dict, key: str) -> bool:
    index = rows.index(row)
    return index == 0 or rows[index - 1][key] != row[key]


def _wan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _rate(part: int, whole: int) -> str:
    if not whole:
        return "-"
    basis_points = (part * 10000 + whole // 2) // whole
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def _goal(acc: Accounts) -> str:
    return (f"保障{acc.department}机构正常运转和各项职能履行，完成年度重点工作任务，"
            "提升公共服务质量和管理效能，确保预算资金使用规范、安全、有效。")


def _outcome(acc: Accounts) -> str:
    return ("年度重点工作任务全部完成，机构运转保障有力，预算执行总体符合进度要求，"
            "资金使用规范，绩效目标基本实现，服务对象满意度较高。")
