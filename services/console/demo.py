"""The console's demo accounts, one for each role (``shared/demo/accounts.yaml``; idempotent)."""

from services.console.commands.accounts import create_account
from shared.auth import Role
from shared.demo import demo_area_path, demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.refusals import Refused


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    for a in demo_data("accounts")["accounts"]:
        scope = demo_area_path(a["areas"][0]) if a.get("areas") else ("cn-changning",)
        try:
            async with uow_factory() as uow:
                await create_account(uow, username=a["username"], password=a["password"],
                                     display_name=a["display_name"], role=Role(a["role"]), jurisdiction="cn-changning",
                                     scope=scope, unit_id=a.get("unit"))
        except Refused as refused:
            if refused.code != "account_exists":
                raise
