"""A/B experiments on what the assistant shows (#17).

- `serving`: the action server's only entry — `arm_for` (which variant?) and `record_exposure` (it was seen);
- `assignment`: the salted hash that makes an arm a pure function of the unit;
- `variants`: what an arm may change, checked before any customer sees it;
- `definitions`: create, start, stop, list; the planned sample per arm;
- `outcomes` and `analysis`: counts per arm, then the statistics and the fixed-horizon verdict;
- `simulation`: the evidence that the analysis is right; `cli`: `python -m crm experiments`.

Nothing is imported here, so `python -m crm` builds its parser without loading the models or statsmodels.
"""
