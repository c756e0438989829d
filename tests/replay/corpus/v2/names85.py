"""Names p85 imports (not a pair: no service). `CHARGE` here is not the name p85's v1 journals:
it binds its own `CHARGE` after importing this one."""

CHARGE = "charge-card"
