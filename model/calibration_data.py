"""The dated facts the model is calibrated to (../shared/DOMAIN.md), and how each is measured.

Payment shares by value come from two research firms whose series disagree (2016: Analysys
50.4 / 38.1 in Q3, iResearch's second series 63.4 / 23.0): the firms measure different scopes.
The measurement model makes the scope part of the observation: a source sees commerce payments
plus a share ``theta`` of peer transfers,

    share_w = (commerce_w + theta transfers_w) / sum_w' (commerce_w' + theta transfers_w'),

with theta = 1 for Analysys and iResearch's main series (third-party mobile payments, transfers
included) and theta free, with a uniform prior, for the second series.  Each observation also
carries a measurement error of ``sd`` percentage points.

Online retail's share of retail spending comes from the National Bureau of Statistics (NBS):
online retail sales of physical goods as a share of total retail sales of consumer goods.
"""

from __future__ import annotations

from dataclasses import dataclass

FIT_UNTIL = 47  # the last tick of the fit (December 2018); later data are held out


@dataclass(frozen=True)
class Observation:
    name: str
    source: str  # analysys, iresearch, iresearch2, nbs, survey, samr, alibaba, pinduoduo, evidence_bound
    ticks: tuple[int, int]  # first and last tick averaged (0 = January 2015)
    metric: str  # what the model gives (see model.calibrate.predict)
    value: float
    sd: float  # measurement error, in the value's units
    kind: str = "point"  # point, or at_least / at_most (one-sided)

    @property
    def in_sample(self) -> bool:
        return self.ticks[1] <= FIT_UNTIL or self.source == "evidence_bound"


def _shares(name, source, ticks, alipay, tenpay, sd=0.01):
    return [Observation(f"{name} alipay", source, ticks, "share_alipay", alipay, sd),
            Observation(f"{name} wechat_pay", source, ticks, "share_wechat_pay", tenpay, sd)]


OBSERVATIONS: list[Observation] = [
    *_shares("Analysys Q3 2016", "analysys", (18, 20), 0.504, 0.381),
    *_shares("Analysys Q4 2016", "analysys", (21, 23), 0.541, 0.370),
    *_shares("iResearch-2 2016", "iresearch2", (12, 23), 0.634, 0.230),  # quarter not stated: the year
    *_shares("iResearch 2018", "iresearch", (36, 47), 0.543, 0.392),
    *_shares("Analysys Q4 2018", "analysys", (45, 47), 0.538, 0.389),
    *_shares("iResearch-2 Q1 2019", "iresearch2", (48, 50), 0.532, 0.394),
    *_shares("iResearch Q4 2019", "iresearch", (57, 59), 0.551, 0.389),
    *_shares("iResearch Q1 2020", "iresearch", (60, 62), 0.554, 0.388),
    Observation("NBS online share 2015", "nbs", (0, 11), "online_share", 0.108, 0.01),
    Observation("NBS online share 2016", "nbs", (12, 23), "online_share", 0.126, 0.01),
    Observation("NBS online share 2017", "nbs", (24, 35), "online_share", 0.150, 0.01),
    Observation("NBS online share 2018", "nbs", (36, 47), "online_share", 0.184, 0.01),
    Observation("NBS online share 2019", "nbs", (48, 59), "online_share", 0.207, 0.01),
    Observation("NBS online share 2020", "nbs", (60, 71), "online_share", 0.249, 0.01),
    Observation("used Alipay in the past year", "survey", (48, 59), "holds_alipay", 0.92, 0.02),
    Observation("used WeChat Pay in the past year", "survey", (48, 59), "holds_wechat_pay", 0.85, 0.02),
    Observation("used both", "survey", (48, 59), "holds_both", 0.77, 0.02, "at_least"),
    Observation("yearly retention on Taobao (SAMR)", "samr", (60, 71), "retention_taobao", 0.98, 0.01),
    # annual active buyers per internet user (CNNIC: 829m in Dec 2018, 989m in Dec 2020); a consumer
    # of the model is an internet user, and its set of marketplaces used stands for a year's buying
    Observation("Alibaba buyers 2018 (636m; Alibaba, Dec 2018)", "alibaba", (45, 47), "buyers_taobao", 0.767, 0.05),
    Observation("Pinduoduo buyers 2018 (418.5m; Pinduoduo, 2018)", "pinduoduo", (45, 47), "buyers_pinduoduo",
                0.505, 0.05),
    Observation("Pinduoduo buyers 2020 (788m; DOMAIN)", "pinduoduo", (69, 71), "buyers_pinduoduo", 0.797, 0.05),
    # Adjustment speed (issue 11): a share may move by more than 5 pp within 6 months of an event
    # only where data show it.  None do in this history: no published series shows Alipay's share
    # collapsing after Taobao accepted WeChat Pay (Sep-Nov 2024), and none shows a fast move after
    # the ban of 2021, WeChat's links or JD taking Alipay.  Not a data point but a bound on the
    # mechanisms, so it enters the fit over the whole run (model.swings).
    Observation("no swing over 5 pp within 6 months of any event", "evidence_bound", (12, 123),
                "largest_swing", 0.05, 0.01, "at_most"),
]

#: the measured scope of each share source: the share of peer transfers it counts (None: fitted)
SCOPE = {"analysys": 1.0, "iresearch": 1.0, "iresearch2": None}
