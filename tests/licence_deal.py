"""A small invented negotiation in which every shape of output turns up, as files.

A software licence between a vendor V and a customer C, with preferences on fee, support and
notice. It has a disputed term (fee in c1, with a competing report), a term left for later
(liability_cap), a rename (governing_law → law in v1-reply), a draft known only from reports
(p1, partial: it states fee, support and a discount removed), a sibling branch (c2, with an
explicit push) merged by v2-final, and a term only one side states (training, in v2-final).

    c1        C  2025-04-01                    fee $100,000 (disputed), …, liability_cap deferred
    v1-reply  V  2025-04-03  from c1           fee $150,000, law (was governing_law), …
    c2        C  2025-04-04  from c1           fee $110,000 (pushed by V)
    p1        C  2025-04-05  from v1-reply     partial: fee $120,000, support standard, discount none
    v2-final  V  2025-04-08  from p1 and c2    fee $130,000, discount left out, training added
"""

from __future__ import annotations

from pathlib import Path

from small_deal import write_deal

NEGOTIATION = """kind: negotiation
id: licence
title: Software licence renewal
parties:
  - {code: V, name: Vendor Ltd, aliases: [vendor]}
  - {code: C, name: Customer plc, aliases: [customer]}
preferences:
  fee: {V: higher, C: lower}
  support: {C: [premium, standard, basic], V: [basic, standard, premium]}
  notice: {C: higher, V: lower}
sources:
  - {id: memo, outlet: Internal memo, url: "https://example.org/memo", date: 2025-04-01}
  - {id: press, outlet: Trade Press}
"""
DRAFTS = {
    "c1": """kind: draft
negotiation: licence
id: c1
title: Customer's opening
tabled_by: [C]
date: 2025-04-01
sources: [memo, press]
notes: First text
terms:
  fee:
    label: Annual fee
    value: USD 100000
    sources: [{source: memo, quote: a hundred thousand a year}]
    confidence: disputed
    reports: [{value: USD 90000, sources: [press], note: an earlier figure}]
  discount: {value: 10%}
  notice: {value: 30 days}
  support: {type: choice, value: premium}
  audit_rights: {value: yes}
  modules: {value: [core, reporting]}
  governing_law: {value: "text:England and Wales"}
  go_live: {value: 2025-06-01}
  seats: {value: "number:50 seats"}
  liability_cap: {value: "text:to be agreed", deferred: true}
""",
    "v1-reply": """kind: draft
negotiation: licence
id: v1-reply
title: Vendor's reply
tabled_by: [V]
date: 2025-04-03
parents: [c1]
terms:
  fee: {label: Annual fee, value: USD 150000}
  discount: {value: 5%}
  notice: {value: 2 months}
  support: {type: choice, value: basic}
  audit_rights: {value: no}
  modules: {value: [core]}
  law: {value: "text:England and Wales", renamed_from: governing_law}
  go_live: {value: 2025-07-01}
  seats: {value: "number:40 seats"}
  liability_cap: {value: USD 1000000}
""",
    "c2": """kind: draft
negotiation: licence
id: c2
title: Customer's second thoughts
tabled_by: [C]
date: 2025-04-04
parents: [c1]
terms:
  fee: {label: Annual fee, value: USD 110000, pushed_by: {parties: [V], evidence: "the vendor's call of 3 April"}}
  discount: {value: 10%}
  notice: {value: 30 days}
  support: {type: choice, value: premium}
  audit_rights: {value: yes}
  modules: {value: [core, reporting]}
  governing_law: {value: "text:England and Wales"}
  go_live: {value: 2025-06-01}
  seats: {value: "number:50 seats"}
  liability_cap: {value: "text:to be agreed", deferred: true}
""",
    "p1": """kind: draft
negotiation: licence
id: p1
title: Customer's counter, as reported
tabled_by: [C]
date: 2025-04-05
parents: [v1-reply]
coverage: partial
sources: [press]
terms:
  fee: {label: Annual fee, value: USD 120000, sources: [{source: press, quote: about 120k}]}
  support: {type: choice, value: standard}
  discount: {value: none}
""",
    "v2-final": """kind: draft
negotiation: licence
id: v2-final
title: Vendor's final offer
tabled_by: [V]
date: 2025-04-08
parents: [p1, c2]
terms:
  fee: {label: Annual fee, value: USD 130000}
  notice: {value: 2 months}
  support: {type: choice, value: standard}
  audit_rights: {value: yes}
  modules: {value: [core, reporting]}
  law: {value: "text:England and Wales"}
  go_live: {value: 2025-07-01}
  seats: {value: "number:45 seats"}
  liability_cap: {value: USD 1000000, deferred: true}
  training: {value: 5 days}
""",
}


def write_licence_deal(folder: Path) -> list[str]:
    """Write this negotiation and its drafts to ``folder`` (``small_deal.write_deal``)."""
    return write_deal(folder, NEGOTIATION, DRAFTS)
