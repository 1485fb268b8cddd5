"""The seeded world: the accounts, tokens, numbers and call every new simulator starts with (README "Seeded
state"). Plain constants, so tests, the contract suite and the bench import them without the simulator."""

DEFAULT_AUTH_ID = "sim_account"
DEFAULT_TOKEN = "tvx_sk_test_sim_0000000000000000"
DEFAULT_NUMBERS = ("+14155551234", "+14155550100")
DEFAULT_CALL_UUID = "650e8400-e29b-41d4-a716-446655440000"  # the spec's example call_uuid
OTHER_AUTH_ID = "other_account"
OTHER_TOKEN = "tvx_sk_test_other_000000000000000"
OTHER_NUMBERS = ("+14155550199",)
DEFAULT_FROM = "+14155550123"
