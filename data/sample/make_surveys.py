"""Generate data/sample/surveys.parquet: post-purchase NPS survey responses for cx-nlp.

All verbatims were written for this project; Northwind Home and everything in them is fictional.
Deterministic (fixed seed, no clock). Day profiles per theme are shared with make_samples.py.

    .venv/bin/python data/sample/make_surveys.py
"""

from __future__ import annotations

import random
import string
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_samples import THEMES, pick_day  # noqa: E402

SEED = 20261115

# (theme, journey_step, nps, verbatim, options)
ROWS = [
    # ---- late deliveries -----------------------------------------------------------------------
    ("late_delivery", "delivery", 1, "Delivery was 6 days late and nobody told me.", {}),
    ("late_delivery", "delivery", 0, "Missed my delivery slot twice.", {}),
    ("late_delivery", "delivery", 4, "The order itself is fine but it took nearly three weeks to arrive.", {}),
    ("late_delivery", "delivery", 2, "Waited in all day, no delivery. Rebooked and it was late again.", {}),
    (
        "late_delivery",
        "delivery",
        1,
        "Courier kept moving the date back. Very stressful when you need furniture for a new flat.",
        {},
    ),
    ("late_delivery", "delivery", 3, "late", {}),
    ("late_delivery", "delivery", 2, "Fix your delivery times. You promise 3 days and it takes 10.", {}),
    ("late_delivery", "delivery", 6, "Would have been a 9 if it had come on time. Came a week late.", {}),
    ("late_delivery", "delivery", 2, "No updates on where my parcel was for over a week.", {}),
    ("late_delivery", "delivery", 0, "Had to take two days off work because the first slot was missed.", {}),
    ("late_delivery", "delivery", 1, "Delivery window was 7am-7pm and they STILL missed it.", {}),
    ("late_delivery", "delivery", 3, "Arrived late and the driver was in a massive rush.", {}),
    # ---- damaged / wrong address ---------------------------------------------------------------
    ("damaged_parcel", "delivery", 2, "Box left in the rain, contents damp.", {}),
    ("damaged_parcel", "delivery", 1, "Item arrived broken, packaging was poor.", {}),
    (
        "damaged_parcel",
        "delivery",
        3,
        "Parcel delivered to the wrong address. Eventually got it back from a neighbour down the road.",
        {},
    ),
    ("damaged_parcel", "delivery", 2, "Table top was scratched and one leg was bent on arrival.", {}),
    ("damaged_parcel", "delivery", 1, "Driver left it at the end of the drive in the rain. Not happy.", {}),
    # ---- coupon rejected -----------------------------------------------------------------------
    ("coupon_rejected", "checkout", 3, "Discount code didn't work at checkout.", {}),
    ("coupon_rejected", "checkout", 2, "WELCOME10 rejected, paid full price.", {}),
    (
        "coupon_rejected",
        "checkout",
        1,
        "Checkout kept saying my promo code was invalid even though it came from your own email.",
        {},
    ),
    ("coupon_rejected", "checkout", 6, "Voucher wouldn't apply. Otherwise easy to order.", {}),
    ("coupon_rejected", "checkout", 2, "Code not valid?? It was in the ad.", {}),
    ("coupon_rejected", "checkout", 0, "The promo field is broken.", {}),
    (
        "coupon_rejected",
        "checkout",
        4,
        "Took three attempts and a call to customer services before the discount was honoured.",
        {},
    ),
    ("coupon_rejected", "checkout", 3, "Had to remove my discount code to be able to finish the order. Annoying.", {}),
    # ---- double charge -------------------------------------------------------------------------
    ("double_charge", "checkout", 0, "Payment was taken twice.", {}),
    ("double_charge", "checkout", 1, "Got charged twice for the same order, still waiting for one of them back.", {}),
    ("double_charge", "checkout", 2, "Card charged double after the payment page timed out.", {}),
    # ---- refund not received -------------------------------------------------------------------
    ("refund_missing", "returns", 1, "Still no refund 3 weeks after you received my return.", {}),
    ("refund_missing", "returns", 3, "Returning was easy, getting my money back was not.", {}),
    ("refund_missing", "returns", 2, "Refund taking forever.", {}),
    ("refund_missing", "returns", 0, "Returned the item a month ago. No refund, no update.", {}),
    # ---- support -------------------------------------------------------------------------------
    ("support_service", "support", 2, "Waited 40 minutes on hold.", {}),
    ("support_service", "support", 0, "The advisor was rude and didn't listen.", {}),
    ("support_service", "support", 1, "Chat queue was over an hour.", {}),
    ("support_service", "support", 1, "Agent was dismissive and ended the chat on me.", {}),
    ("support_service", "support", 2, "Phone support is impossible to reach.", {}),
    (
        "support_service",
        "support",
        3,
        "Nobody called me back like they promised. If anyone actually wants to, it's +44 161 496 0742.",
        {"flag": "PII: UK phone number"},
    ),
    ("support_service", "support", 2, "Felt like the agent couldn't care less.", {}),
    ("support_service", "support", 5, "Too long to get hold of anyone. When I did, they were helpful.", {}),
    ("support_service", "support", 1, "Customer service was condescending.", {}),
    (
        "support_service",
        "support",
        0,
        "Plus d'une heure d'attente au téléphone, puis l'appel a été coupé. Inadmissible.",
        {"flag": "non-English (French)"},
    ),
    # ---- app -----------------------------------------------------------------------------------
    ("app_login_crash", "app", 1, "App crashes when I try to log in.", {}),
    ("app_login_crash", "app", 2, "Can't sign in to the app since the update.", {}),
    ("app_login_crash", "app", 3, "The app keeps logging me out and won't let me back in.", {}),
    ("app_login_crash", "app", 4, "App froze on login, had to order on the website instead.", {}),
    ("app_login_crash", "app", 0, "Latest update broke the app on my phone.", {}),
    # ---- store queues --------------------------------------------------------------------------
    ("store_queues", "store", 3, "Queues at the tills on Saturday were huge.", {}),
    ("store_queues", "store", 2, "Not enough staff in store at the weekend.", {}),
    ("store_queues", "store", 4, "Waited 30 mins at click and collect on Sunday.", {}),
    ("store_queues", "store", 6, "Store was lovely but so understaffed on Saturday.", {}),
    ("store_queues", "store", 3, "Only one till open. Long wait.", {}),
    ("store_queues", "store", 2, "Couldn't find anyone to help me on the shop floor, busy weekend.", {}),
    # ---- other ---------------------------------------------------------------------------------
    ("other", "delivery", 10, "Great sofa, really comfortable.", {}),
    ("other", "delivery", 9, "Delivery driver was very polite.", {}),
    ("other", "checkout", 9, "Fast and easy checkout.", {"profile": "before_app"}),
    ("other", "store", 10, "Lovely store staff, really helpful.", {}),
    ("other", "delivery", 10, "Everything went smoothly.", {}),
    ("other", "app", 9, "App is easy to use.", {"profile": "before_app"}),
    ("other", "returns", 9, "Quick refund, no fuss.", {}),
    ("other", "delivery", 8, "Good quality for the price.", {}),
    ("other", "checkout", 7, "Fine.", {}),
    ("other", "support", 10, "Support agent sorted my issue in minutes. Thank you Amy!", {}),
    ("other", "store", 7, "Bit pricey but nice stuff.", {}),
    ("other", "delivery", 10, "Arrived earlier than expected!", {}),
    ("other", "checkout", 7, "Would like more payment options, e.g. Apple Pay.", {}),
    ("other", "delivery", 9, "The quality of the bedding is excellent.", {}),
    ("other", "returns", 9, "Returns process was clear and simple.", {}),
    ("other", "store", 9, "Store was clean and well laid out.", {}),
    (
        "refund_missing",
        "support",
        5,
        "The agent was lovely but my refund still hasn't come through.",
        {"flag": "mixed: praise for agent + missing refund"},
    ),
    ("other", "delivery", 7, "Chair is a little wobbly but overall happy.", {}),
    ("other", "store", 10, "Really helpful staff in Manchester.", {}),
    ("other", "checkout", 8, "Easy to find what I needed on the website.", {}),
    ("other", "delivery", 9, "Good communication about my delivery.", {}),
    ("other", "delivery", 5, "The colour is different to the photo.", {}),
    ("other", "app", 8, "Nice app, wish it had a dark mode.", {"profile": "before_app"}),
    ("other", "support", 9, "Friendly and quick on the phone.", {}),
    ("other", "delivery", 6, "Assembly instructions were confusing.", {}),
    ("other", "checkout", 10, "Love it, will shop again.", {}),
    # ---- deliberately bad rows -----------------------------------------------------------------
    ("other", "delivery", 8, "", {"flag": "empty verbatim"}),
    ("other", "store", 9, "   ", {"flag": "whitespace-only verbatim"}),
    (
        "late_delivery",
        "delivery",
        2,
        "Still waiting for the bed, two weeks past the date.",
        {"bad_date": True, "flag": "null submitted_at"},
    ),
    ("other", "checkout", 9, "Smooth order, good prices.", {"missing_id": True, "flag": "null response_id"}),
]


def _response_id(rng: random.Random) -> str:
    return "R_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(15))


def build(rng: random.Random) -> pd.DataFrame:
    records = []
    for theme, step, nps, verbatim, opts in ROWS:
        day = pick_day(rng, theme, opts.get("profile"), opts.get("day"))
        when = datetime(
            day.year, day.month, day.day, rng.randint(6, 22), rng.randint(0, 59), rng.randint(0, 59), tzinfo=UTC
        )
        records.append(
            {
                "response_id": None if opts.get("missing_id") else _response_id(rng),
                "submitted_at": pd.NaT if opts.get("bad_date") else pd.Timestamp(when),
                "nps": nps,
                "verbatim": verbatim,
                "journey_step": step,
                "_theme": theme,
                "_flag": opts.get("flag", ""),
                "_sort": when,
            }
        )
    frame = pd.DataFrame(records).sort_values("_sort", kind="stable").reset_index(drop=True)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["nps"] = frame["nps"].astype("int64")
    return frame


def main() -> None:
    frame = build(random.Random(SEED))
    out = frame[["response_id", "submitted_at", "nps", "verbatim", "journey_step"]]
    out.to_parquet(HERE / "surveys.parquet", engine="pyarrow", index=False)
    print(f"surveys.parquet {len(out)} rows")
    counts = Counter(frame["_theme"])
    print("  surveys: " + ", ".join(f"{k}={counts[k]}" for k in THEMES))
    for number, row in frame.iterrows():
        if row["_flag"]:
            print(
                f"  surveys.parquet row {number + 1}: id={row['response_id']!r} theme={row['_theme']}: {row['_flag']}"
            )


if __name__ == "__main__":
    main()
