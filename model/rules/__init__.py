"""The model's rules, one module per ODD submodel (docs/ODD.md, section 7).

Each module holds the rule's plain ``reference`` form, written like its equation over
[N, K] arrays (slow and obvious), and the fast kernel the model runs; the tests feed both
the same random draws and check that they agree.

=====================  =============================================
ODD section            module
=====================  =============================================
7.1 wallet adoption    :mod:`model.rules.wallets`
7.2 marketplace choice :mod:`model.rules.marketplaces`
7.3 checkout           :mod:`model.rules.checkout`
7.4 merchant listing   :mod:`model.rules.listing`
7.5 exclusivity        :mod:`model.rules.enforcement`
7.6 settlement         :mod:`model.rules.settlement`
7.7 platform strategy  :mod:`model.rules.strategy`
7.8 regulator          :mod:`model.rules.regulation`
7.10 merchant reach    :mod:`model.rules.reach`
=====================  =============================================
"""
