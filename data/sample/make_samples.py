"""Generate the bundled sample feedback for cx-nlp: reviews.csv, tickets.jsonl, complaints.csv.

All text in this file was written for this project. "Northwind Home" and every person, order number,
address, phone number, card number and account number in it are fictional (phone numbers come from
ranges reserved for drama/testing, card numbers are public test numbers, IBANs are the textbook
examples).

Deterministic: a fixed seed and no clock, so every run writes byte-identical files.

    .venv/bin/python data/sample/make_samples.py          # writes the files next to this script

`THEMES` names the planted problems; every record below carries its theme so counts can be checked
(`python data/sample/make_samples.py` prints them). The survey rows live in make_surveys.py.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
FIRST_DAY = date(2026, 10, 19)
LAST_DAY = date(2026, 11, 15)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
APP_UPDATE = date(2026, 10, 28)  # app 5.4.0 goes out the evening before; login crashes start here
CHECKOUT_RELEASE = date(2026, 11, 2)  # new checkout: discount codes rejected from here on
SEED = 20261019

THEMES = {
    "late_delivery": "Late deliveries / missed delivery slots",
    "damaged_parcel": "Parcels damaged, left in the rain or at the wrong address",
    "coupon_rejected": "Discount / coupon code rejected at checkout",
    "double_charge": "Charged twice for one order",
    "refund_missing": "Refund not received weeks after a return or cancellation",
    "support_service": "Rude or dismissive support, long hold / chat waits",
    "app_login_crash": "App crashes / cannot log in after the 5.4.0 update",
    "store_queues": "Long queues / too few staff in stores at weekends",
    "other": "Everything else: praise, questions, product quality, neutral remarks",
}


# How each theme's volume moves over the four weeks (relative weight per day).
def _weights(profile: str) -> list[float]:
    out = []
    for i, day in enumerate(DAYS):
        if profile == "uniform":
            w = 1.0
        elif profile == "ramp":  # late deliveries: the network falls behind in the second half
            w = 1.0 if day < date(2026, 11, 2) else 3.6
        elif profile == "mild_ramp":
            w = 1.0 + 1.2 * i / (len(DAYS) - 1)
        elif profile == "after_checkout":
            w = 0.0 if day < CHECKOUT_RELEASE else (3.0 if day <= date(2026, 11, 6) else 2.0)
        elif profile == "after_app":
            w = 0.0 if day < APP_UPDATE else (3.0 if day <= date(2026, 11, 2) else 1.6)
        elif profile == "before_app":
            w = 1.0 if day < APP_UPDATE else 0.0
        elif profile == "weekend":
            w = {5: 1.0, 6: 1.0, 0: 0.45}.get(day.weekday(), 0.0)
        elif profile == "double":  # a payment-retry bug shipped with the checkout release
            w = 3.0 if date(2026, 11, 2) <= day <= date(2026, 11, 8) else 1.0
        else:
            raise ValueError(profile)
        out.append(w)
    return out


THEME_PROFILE = {
    "late_delivery": "ramp",
    "damaged_parcel": "uniform",
    "coupon_rejected": "after_checkout",
    "double_charge": "double",
    "refund_missing": "mild_ramp",
    "support_service": "mild_ramp",
    "app_login_crash": "after_app",
    "store_queues": "weekend",
    "other": "uniform",
}

UK_STORES = [
    "Leeds Kirkstall",
    "Manchester Trafford Park",
    "Bristol Cribbs Causeway",
    "London Wembley",
    "London Croydon",
    "Birmingham Fort Parkway",
    "Glasgow Braehead",
    "Nottingham Castle Marina",
]
US_STORES = ["Columbus OH - Easton", "Austin TX - Domain", "Portland OR - Lloyd Center"]


def pick_day(rng: random.Random, theme: str, profile: str | None, day: str | None) -> date:
    if day:
        return date.fromisoformat(day)
    return rng.choices(DAYS, weights=_weights(profile or THEME_PROFILE[theme]))[0]


# --------------------------------------------------------------------------------------------
# Portal reviews
# r(theme, stars, title, body, platform=..., store=..., day=..., profile=..., flag=...)
# Titles only survive on trustpilot and app_store (google, yelp and play_store have none).
# --------------------------------------------------------------------------------------------


def r(theme, stars, title, body, **kw):
    return {"theme": theme, "stars": stars, "title": title, "body": body, **kw}


# The same words were sent in as a web-form ticket (see TICKETS) -> cross-source duplicate.
WARDROBE_TEXT = (
    "Order placed 12 days ago, estimated delivery was 3-5 working days. The courier website just says "
    "'delayed in network'. I have emailed twice. My clothes are in boxes on the floor."
)
# Pasted on google and in the Play Store listing by the same customer -> same text, different review_id.
CROSSPOST_TEXT = (
    "Spent 55 minutes on hold, got through to someone who said they couldn't see my order and "
    "transferred me. Line went dead. Rang back, another 40 minutes. This is not customer service."
)

REVIEWS = [
    # ---- late deliveries / missed slots -------------------------------------------------------
    r(
        "late_delivery",
        1,
        "Still waiting",
        "Ordered a bookcase on a Monday with 'next day delivery' and it's now Friday. Tracking has said 'out for delivery' three days running. Nobody can tell me where it is.",
    ),
    r(
        "late_delivery",
        1,
        "",
        "Took a day off work for the 8-12 slot. Nobody came. No text, no call, nothing. Rebooked for Thursday and the same thing happened again",
    ),
    r(
        "late_delivery",
        2,
        "Late again",
        "Second order in a row that turned up late. The dining chairs were promised for the weekend and arrived the following Wednesday. Quality is fine but I cant plan around deliveries that never arrive when they say.",
    ),
    r("late_delivery", 1, "Missed delivery slot", "Missed delivery slot, no explanation. Waste of a morning."),
    r(
        "late_delivery",
        1,
        "Where is my wardrobe??",
        WARDROBE_TEXT,
        platform="trustpilot",
        day="2026-11-09",
        at="19:42",
        flag="same text as ticket (cross-source duplicate)",
    ),
    r(
        "late_delivery",
        2,
        "Good products, terrible logistics",
        "I like the stuff they sell, but the delivery side is a shambles at the moment. My rug was meant to come Tuesday, got pushed to Thursday, then Saturday. Eventually turned up the following week.",
    ),
    r("late_delivery", 1, "", "they gave me a 2 hour window and then turned up at 9pm. who delivers furniture at 9pm"),
    r(
        "late_delivery",
        1,
        "Don't promise dates you can't keep",
        "Paid £9.95 extra for a named-day delivery so the bed would be here before my mum came to stay. It didn't come. The named-day fee hasn't been refunded either.",
    ),
    r("late_delivery", 2, "Slow", "Delivery took nearly three weeks for a small lamp. Way slower than advertised."),
    r(
        "late_delivery",
        1,
        "Worst delivery experience",
        "Rescheduled FOUR times. Each time I get a text the night before saying the slot is confirmed and each time the van never shows. I've given up and asked to cancel.",
        flag="exact duplicate row",
    ),
    r(
        "late_delivery",
        3,
        "Arrived eventually",
        "Sofa is lovely and really comfy. Knocking off two stars because it arrived 9 days after the date I was given and I had to chase it every day.",
    ),
    r(
        "late_delivery",
        1,
        "No show",
        "Waited in all day for the delivery. Tracking changed to 'customer not in' at 4pm. I was literally sat by the window. Total lie.",
    ),
    r(
        "late_delivery",
        2,
        "",
        "Order still hasn't arrived, it's been over two weeks. Customer service just keep saying it's with the courier.",
    ),
    r(
        "late_delivery",
        1,
        "Christmas order at risk",
        "If this is how they handle deliveries in November I dread to think what December will be like. Ordered a table for hosting, the delivery date has moved back twice already, no reason given.",
        profile="after_checkout",
    ),
    r("late_delivery", 1, "Late late late", "late delivery, missed the slot, no apology. 1 star"),
    r(
        "late_delivery",
        2,
        "Frustrating",
        "The estimated arrival date keeps sliding by a couple of days every time I check. Started as this Tuesday, then Friday, now 'sometime next week'. Just be honest about lead times.",
    ),
    r(
        "late_delivery",
        1,
        "",
        "Third missed delivery window this month. I work shifts and had to swap with a colleague to be home. Absolutely fuming.",
    ),
    r(
        "late_delivery",
        2,
        "Delivery was a joke",
        "Was told the courier would call 30 mins before arrival. No call, no delivery, and the slot just vanished from my account. Had to start again from scratch.",
    ),
    r(
        "late_delivery",
        1,
        "Never again",
        "Bought a chest of drawers for my daughter's room. 'Arrives in 5 days' - it's day 16. Every time I ring i get told it's 'on the way'.\n\nIf you want to actually sort this out, call me on +44 113 496 0187.",
        flag="PII: UK phone number",
    ),
    r(
        "late_delivery",
        2,
        "Late delivery",
        "Took way longer than stated. Arrived a week late but at least it arrived in one piece.",
    ),
    r(
        "late_delivery",
        1,
        "",
        "Ordered a recliner at the Easton store for home delivery. Window was 10am-2pm, the driver showed up the NEXT day with no warning and nobody home. Now they want another $59 to redeliver.",
        store="Columbus OH - Easton",
    ),
    r(
        "late_delivery",
        1,
        "Delivery tracking is fiction",
        "Tracking page said 'arriving today' for five days straight. I don't even know what to believe anymore.",
        platform="app_store",
    ),
    r(
        "late_delivery",
        1,
        "Livraison en retard",
        "Commande passée il y a deux semaines, toujours rien. Le créneau de livraison a été manqué deux fois sans le moindre message. Très déçue.",
        platform="trustpilot",
        flag="non-English (French)",
    ),
    r(
        "late_delivery",
        1,
        "Bed slats",
        "Been waiting since the 'guaranteed' date for my bed slats. Sleeping on a mattress on the floor. Nobody answers the phone.",
        bad_date="31/02/2026",
    ),
    # ---- damaged / wet / wrong address --------------------------------------------------------
    r(
        "damaged_parcel",
        1,
        "Box soaked through",
        "Parcel left outside my front door in the pouring rain. Cardboard was soaked and the bottom of the bedside table has swollen. The photo on the courier app shows it sitting in a puddle.",
    ),
    r(
        "damaged_parcel",
        1,
        "Delivered to the wrong house",
        "Tracking says delivered, photo shows a door that is not mine. Found my mirror two streets away after knocking on doors for an hour. Cracked in the corner too.",
    ),
    r(
        "damaged_parcel",
        2,
        "Arrived damaged",
        "Coffee table arrived with a big gouge across the top and one leg snapped. Packaging looked like it had been dropped from a height.",
    ),
    r(
        "damaged_parcel",
        1,
        "",
        "Lamp base smashed in transit. Clearly thrown about. Not packed well either, just one layer of bubble wrap",
    ),
    r(
        "damaged_parcel",
        2,
        "Left with a neighbour who doesn't exist",
        "My parcel was 'left with neighbour' at number 42. There is no number 42 on my road. Still haven't found it.",
    ),
    r(
        "damaged_parcel",
        1,
        "Damp and smelly",
        "Cushions arrived damp and smelling of mildew because the driver left them by the bins in the rain. Had to wash all four covers before I could use them.",
    ),
    r(
        "damaged_parcel",
        2,
        "Dented",
        "Metal bed frame delivered with two bent slats and a dent in the headboard. The outer box was crushed on one side.",
    ),
    r(
        "damaged_parcel",
        1,
        "Thrown over the gate",
        "Watched on my doorbell camera as the driver threw the box over my side gate. Inside, three of the six glasses were broken. Shocking.",
    ),
    r(
        "damaged_parcel",
        2,
        "Wrong address",
        "Delivered to my old address even though I updated it in my account before ordering. The new owners were nice enough to call me but come on.",
    ),
    r("damaged_parcel", 1, "", "mirror came shattered. second time this has happened with a Northwind parcel"),
    # ---- coupon / discount code rejected (from the 2 Nov checkout release) ---------------------
    r(
        "coupon_rejected",
        1,
        "WELCOME10 doesn't work",
        "Signed up for the newsletter to get the WELCOME10 code. Checkout says 'code not valid'. Tried on phone and laptop, same thing.",
    ),
    r(
        "coupon_rejected",
        2,
        "Promo won't apply",
        "Promo won't apply at checkout. The banner on the homepage literally tells you to use it. Ended up paying full price because I needed the item.",
    ),
    r(
        "coupon_rejected",
        1,
        "",
        "Discount code rejected every single time. Tried copying it, typing it, different browser. 'This code is not valid for your basket'. My basket is one cushion, what's the problem",
    ),
    r(
        "coupon_rejected",
        2,
        "Misleading sale",
        "Advertised 15% off with code COSY15 but the code gets refused at checkout. Either honour it or take the adverts down.",
    ),
    r(
        "coupon_rejected",
        1,
        "Checkout broken since the update",
        "Since the new checkout came in you can't use any discount codes at all. Tried two different ones, both 'invalid'. Live chat admitted there's a 'known issue' but no fix date.",
    ),
    r(
        "coupon_rejected",
        3,
        "Nice stuff but...",
        "Good range of bedding and the quality seems decent. However my first-order code was rejected so I paid more than I expected to. Support said they'd refund the difference, we'll see.",
    ),
    r(
        "coupon_rejected",
        1,
        "Bait and switch",
        "Got an email with 20% off, clicked through, code says expired... the email came TODAY. Total bait and switch.",
    ),
    r("coupon_rejected", 2, "", "Voucher code wont work. The field just goes red and says invalid. Anyone else?"),
    r(
        "coupon_rejected",
        1,
        "Coupon code error",
        "Coupon field throws an error whenever I enter my code, then clears my basket. Had to add everything again. Gave up in the end.",
    ),
    r(
        "coupon_rejected",
        2,
        "WELCOME10",
        "Welcome discount not applied. The code shows as accepted for a second then the total goes back to full price when I get to payment.",
    ),
    r(
        "coupon_rejected",
        1,
        "Code not valid",
        "code not valid code not valid code not valid. tried 6 times. shopping elsewhere",
    ),
    r(
        "coupon_rejected",
        2,
        "Can't use my birthday voucher",
        "Northwind sent me a birthday voucher which is sweet, but it won't redeem. Says it's not recognised. It's valid till the end of the month.",
    ),
    r(
        "coupon_rejected",
        1,
        "",
        "The promo code from the TV advert is rejected at checkout. Rang up and was told to try again tomorrow. Tried again, still rejected.",
    ),
    r(
        "coupon_rejected",
        2,
        "Discount missing",
        "Entered my student discount code, the page said 'applied!' but the order confirmation shows no discount at all. So I paid full whack.",
    ),
    r(
        "coupon_rejected",
        1,
        "Código de descuento no válido",
        "El código WELCOME10 no funciona al pagar, siempre dice que no es válido. Lo he intentado varias veces desde el móvil y el ordenador y nada. Muy decepcionante.",
        platform="trustpilot",
        flag="non-English (Spanish)",
    ),
    r(
        "coupon_rejected",
        2,
        "Code refused",
        "NWHOME15 refused at checkout, tried on two devices. Gave up and bought the lamp somewhere else.",
        bad_date="",
    ),
    # ---- double charge -----------------------------------------------------------------------
    r(
        "double_charge",
        1,
        "Charged twice!!",
        "Bought one armchair and got charged twice. Two identical payments of £349 on my card. Still waiting for one of them to be returned.",
    ),
    r(
        "double_charge",
        1,
        "Double charge",
        "My bank app shows two charges for the same order. Customer service told me one is a 'pending authorisation' that will drop off. It's been 10 days and it hasn't.",
    ),
    r(
        "double_charge",
        2,
        "",
        "Payment went through twice after the page froze on the payment step. Only one order number in my account but the money came out twice.",
    ),
    r(
        "double_charge",
        1,
        "Took my money twice",
        "They took the money twice for a single order and now I'm overdrawn. This is not a small amount for me. Sort it out.",
    ),
    r(
        "double_charge",
        1,
        "Duplicate payment",
        "Duplicate payment taken for my bedroom furniture order. Three phone calls later nobody can tell me when I'll see it back. The card was 5555 5555 5555 4444 if that helps you find it, because apparently your team can't.",
        flag="PII: card number (Luhn-valid test number)",
    ),
    r(
        "double_charge",
        2,
        "Checkout glitch cost me",
        "Clicked pay, got an error, clicked pay again. Two charges, one order. Surely your system should stop that from happening.",
    ),
    r("double_charge", 1, "", "charged 2x for one rug. refund of the extra charge 'in progress' for over a week"),
    r(
        "double_charge",
        2,
        "Double billed",
        "Got billed twice for the delivery charge as well as the order total. Small amounts but it adds up and nobody seems to care.",
    ),
    # ---- refund not received ------------------------------------------------------------------
    r(
        "refund_missing",
        1,
        "Where's my refund",
        "Returned a sideboard in store over three weeks ago. Got a receipt saying refund processed. Not a penny back on my card yet.",
    ),
    r(
        "refund_missing",
        1,
        "Refund still not received",
        "Sent the parcel back, tracking shows it reached the warehouse on the 20th of last month. Still no refund. Keep getting told 5-7 working days.",
    ),
    r(
        "refund_missing",
        2,
        "Slow refunds",
        "Returns process was easy enough, courier collected on time. But the refund has taken a month and counting.",
    ),
    r(
        "refund_missing",
        1,
        "",
        "They are quick to take your money and very slow to give it back. 4 weeks waiting for a refund on a faulty lamp.",
    ),
    r(
        "refund_missing",
        1,
        "Refund nightmare",
        "My return was accepted, I have the email. Support now say they 'can't see' the return and I need to send proof. I've sent it twice, to returns@northwindhome.example and from my own address jamie.r.howell@example.com. No refund.",
        flag="PII: e-mail address",
    ),
    r("refund_missing", 2, "Still waiting", "Refund promised within 14 days. Day 26 today. Not impressed."),
    r(
        "refund_missing",
        1,
        "Money in limbo",
        "Cancelled an order before it was dispatched and I still haven't had the money back. Almost three weeks now.",
    ),
    r(
        "refund_missing",
        1,
        "Refund not recieved",
        "refund not recieved after returning the whole order weeks ago, just automated emails saying its being processed",
    ),
    r(
        "refund_missing",
        3,
        "Mixed feelings",
        "The agent on chat was lovely and really tried to help, I can't fault her. But my refund for the broken vase still hasn't come through after three weeks, which is the whole reason I contacted them.",
        flag="mixed: praise for agent + missing refund",
    ),
    # ---- support: rude agents / long waits ----------------------------------------------------
    r(
        "support_service",
        1,
        "Rude agent",
        "The woman on the phone was incredibly rude. Sighed at me, talked over me and then hung up when I asked for a manager.",
    ),
    r(
        "support_service",
        1,
        "50 minutes on hold",
        "Held for 50 minutes to speak to someone. When I finally got through they transferred me to another department and I was cut off.",
    ),
    r(
        "support_service",
        2,
        "Chat is useless",
        "The live chat takes forever to connect, 45 mins in the queue, then the agent copies and pastes the same answer and closes the chat.",
    ),
    r(
        "support_service",
        1,
        "",
        "Customer service is appalling. Dismissive, patronising, and they never call back when they say they will.",
    ),
    r(
        "support_service",
        1,
        "Impossible to reach",
        "You cannot get through to anyone. Phone line plays music for an hour then disconnects. Emails get an auto reply and nothing else.",
    ),
    r(
        "support_service",
        2,
        "Felt fobbed off",
        "The agent didn't seem to care at all. Kept saying 'there's nothing I can do' and wouldn't escalate it.",
    ),
    r(
        "support_service",
        1,
        "Treated like a liar",
        "Told support my table arrived broken and the agent basically accused me of breaking it myself. Very unprofessional.",
    ),
    r(
        "support_service",
        1,
        "Queue position 87",
        "Queue position 87 on the chat. Left it open for an hour and a half, got to position 3, then it said 'chat ended due to inactivity'.",
    ),
    r(
        "support_service",
        2,
        "",
        "Long wait times on the phone every time I've called. The staff are ok once you reach them but who has an hour to spare",
    ),
    r(
        "support_service",
        1,
        "Zero customer care",
        "Asked a simple question about my order and got a one-word answer. When I asked for more detail the agent just ended the chat. Brilliant.",
    ),
    r(
        "support_service",
        1,
        "Unhelpful and rude",
        "Agent laughed when I said I'd been waiting since last week. Didn't apologise. Just told me to 'be patient'.",
    ),
    r(
        "support_service",
        2,
        "Hold times are ridiculous",
        "I appreciate it's busy but 70 minutes on hold is not acceptable for a company this size.",
    ),
    r(
        "support_service",
        1,
        "Promised callbacks never happen",
        "Three promised callbacks. Zero actual callbacks. I've now spent more time chasing than the table is worth.",
    ),
    r(
        "support_service",
        2,
        "",
        "The chatbot goes round in circles and there's no way to reach a human. When I finally did, they were short with me.",
    ),
    r(
        "support_service",
        1,
        "",
        CROSSPOST_TEXT,
        platform="google",
        store="London Croydon",
        day="2026-11-11",
        at="08:15",
        flag="same text as the next play_store review (different id)",
    ),
    r(
        "support_service",
        1,
        "",
        CROSSPOST_TEXT,
        platform="play_store",
        day="2026-11-11",
        at="08:31",
        flag="same text as the previous google review (different id)",
    ),
    r(
        "support_service",
        1,
        "No help at all",
        "Spent an hour in the chat queue to be told they can't help with delivery issues and I should ring instead.",
        missing_id=True,
    ),
    # ---- app crashes / can't log in after 5.4.0 -----------------------------------------------
    r(
        "app_login_crash",
        1,
        "Crashes on launch",
        "Since the last update the app crashes as soon as I open it. iPhone 14, latest iOS. Deleted and reinstalled, no change.",
    ),
    r(
        "app_login_crash",
        1,
        "Can't log in",
        "Can't log in after the update. Enter email and password, spinner, then back to the login screen. Password is definitely right, it works on the website.",
    ),
    r("app_login_crash", 1, "", "App keeps closing itself when I tap sign in. Useless now."),
    r(
        "app_login_crash",
        2,
        "Update broke it",
        "Used to be a decent app for tracking orders. Version 5.4 broke login completely. Please roll back.",
    ),
    r(
        "app_login_crash",
        1,
        "Login loop",
        "Stuck in a login loop. It says 'session expired, please log in again' every time I log in. Over and over.",
    ),
    r(
        "app_login_crash",
        1,
        "Face ID broken",
        "Face ID login fails and then the app freezes. Have to force close. Started after this week's update.",
    ),
    r("app_login_crash", 1, "Wont open", "wont open anymore, just white screen then it closes. Pixel 7"),
    r(
        "app_login_crash",
        2,
        "Crashing",
        "Crashes when I try to view my orders. And sometimes on the login screen too. Please fix, I need to track a delivery.",
    ),
    r(
        "app_login_crash",
        1,
        "New version is unusable",
        "The new version is unusable on Android. Logs me out randomly and then won't let me log back in. 'Something went wrong' error every time.",
    ),
    r(
        "app_login_crash",
        1,
        "",
        "Can't sign in since updating. Tried resetting my password twice. The reset email works but the app still rejects me.",
    ),
    r(
        "app_login_crash",
        1,
        "Please fix the crash",
        "Opens, shows the logo for a second, crashes. Every time. Samsung S22.",
    ),
    r(
        "app_login_crash",
        2,
        "Broken after update",
        "Was a 4 star app. Now it crashes every time I try to log in. Dropping to 2 until it's fixed.",
    ),
    r(
        "app_login_crash",
        1,
        "Login error",
        "Login error 'unable to authenticate' since the update on my iPad. Website works fine.",
    ),
    r(
        "app_login_crash",
        1,
        "So buggy",
        "App froze at the login screen, then crashed, then reopened logged out. I tried 10 times. Just make it work.",
    ),
    r(
        "app_login_crash",
        2,
        "",
        "After updating the app I can't get past the sign in page. It accepts my details and then crashes.",
    ),
    r(
        "app_login_crash",
        1,
        "Terrible update",
        "Whoever signed off this update should be embarrassed. Can't log in, can't check my orders, can't contact support from inside the app.",
    ),
    r("app_login_crash", 1, "Crash on login", "crash on login. every. single. time."),
    r("app_login_crash", 2, "Used to like it", "Keeps crashing since v5.4.0. Before that it was fine. Shame."),
    r(
        "app_login_crash",
        1,
        "Absturz nach Update",
        "Seit dem letzten Update stürzt die App beim Einloggen sofort ab. Neu installiert, hilft nicht. Bitte schnell beheben!",
        platform="play_store",
        flag="non-English (German)",
    ),
    # ---- store queues / understaffed at weekends ----------------------------------------------
    r(
        "store_queues",
        2,
        "",
        "Went on Saturday to pick up a click & collect order. One person on the collection desk and a queue of about 20 people. Waited 45 minutes.",
        store="Leeds Kirkstall",
    ),
    r(
        "store_queues",
        2,
        "",
        "Nice store, good displays, but only two tills open on a Sunday afternoon. The queue went back past the rugs section.",
        store="Manchester Trafford Park",
    ),
    r(
        "store_queues",
        1,
        "",
        "Queued for over half an hour at the weekend just to pay for two cushions. Staff were clearly overwhelmed, not their fault, management needs to roster more people.",
        store="Bristol Cribbs Causeway",
    ),
    r("store_queues", 2, "", "Long queues every weekend. I'll go on a weekday from now on.", store="London Wembley"),
    r(
        "store_queues",
        1,
        "",
        "Wanted to ask about sofa fabrics on Saturday. Walked round for 20 minutes and couldn't find a single member of staff on the shop floor. Left without buying.",
        store="Birmingham Fort Parkway",
    ),
    r(
        "store_queues",
        3,
        "",
        "Lovely homeware and the staff I spoke to were friendly. But Sunday was manic, one till open and the self-checkouts out of order. Took ages.",
        store="Glasgow Braehead",
    ),
    r(
        "store_queues",
        2,
        "",
        "The whole point of click and collect is that it's quick. Not when there's a 40 minute line and one staff member at the weekend.",
        store="London Croydon",
    ),
    r(
        "store_queues",
        1,
        "",
        "Saturday afternoon, 3 staff for the entire store. Waited ages at the furniture desk to order a bed, gave up and went home.",
        store="Nottingham Castle Marina",
    ),
    r(
        "store_queues",
        2,
        "",
        "Too few staff on weekends. Everyone is rushed off their feet and customers just wander around waiting.",
        store="Leeds Kirkstall",
    ),
    r(
        "store_queues",
        2,
        "",
        "Line at the registers was insane on Saturday, maybe 25 people and only one cashier. They need more staff on weekends.",
        store="Columbus OH - Easton",
    ),
    r(
        "store_queues",
        1,
        "",
        "Waited 35 min to check out on a Sunday. Two registers, one open. The guy working was doing his best but come on.",
        store="Austin TX - Domain",
    ),
    r(
        "store_queues",
        2,
        "",
        "Returns desk queue on Saturday was out the door. Only one person serving and they were also doing collections.",
        store="Manchester Trafford Park",
    ),
    r(
        "store_queues",
        3,
        "",
        "Store itself is great, bright and well laid out. Just avoid weekends, the queues are long and there aren't enough people on the tills.",
        store="Bristol Cribbs Causeway",
    ),
    r(
        "store_queues",
        1,
        "",
        "Absolute chaos on Sunday. No one in the kitchenware section, huge queue to pay, and the cafe had run out of nearly everything.",
        store="London Wembley",
    ),
    # ---- other: praise, neutral, product quality, questions -----------------------------------
    r(
        "other",
        5,
        "Love my new sofa",
        "The Harlow 3-seater is gorgeous, really solid and the fabric feels expensive. Delivery guys were careful and took the packaging away.",
    ),
    r(
        "other",
        5,
        "Fast delivery",
        "Ordered on Tuesday night, arrived Thursday morning. Well packed, exactly as pictured. Will order again.",
    ),
    r(
        "other",
        5,
        "",
        "Staff at the Leeds store were so friendly and helpful. Sophie spent ages helping us choose a rug and didn't push us to buy anything.",
        store="Leeds Kirkstall",
    ),
    r(
        "other",
        4,
        "Good quality",
        "Good quality bedding for the price. Washes well. Only 4 stars because the colour was slightly darker than on the website.",
    ),
    r("other", 5, "", "Brilliant service from start to finish. Would recommend."),
    r(
        "other",
        5,
        "Great app",
        "The app makes it really easy to browse and save things to a wishlist. Love the AR feature for seeing furniture in your room.",
        platform="app_store",
        profile="before_app",
    ),
    r(
        "other",
        4,
        "Solid dining table",
        "Table is sturdy and the oak finish is lovely. Assembly took about an hour with two people. Instructions could be clearer.",
    ),
    r(
        "other",
        5,
        "Helpful chat agent",
        "Had an issue with a missing screw pack. Chat agent Tom sorted a replacement in five minutes and it arrived two days later. Excellent.",
    ),
    r("other", 5, "", "Beautiful lamps, arrived quickly, well wrapped. Very happy."),
    r(
        "other",
        4,
        "",
        "Lovely store to wander round on a weekday. Calm, well laid out, staff happy to help.",
        store="Manchester Trafford Park",
    ),
    r(
        "other",
        5,
        "Exceeded expectations",
        "Honestly didn't expect much from a budget-ish bookshelf but it's really well made. Heavy, solid, no wobble.",
    ),
    r(
        "other",
        5,
        "Delivery team were stars",
        "The two delivery lads carried a wardrobe up three flights of stairs without a single complaint and even helped position it. Top service.",
    ),
    r("other", 3, "It's fine", "Curtains are ok. Not as thick as I hoped but they do the job."),
    r("other", 3, "Average", "Prices are a bit high for what you get but the quality is decent. Delivery was on time."),
    r("other", 4, "", "Ordered some storage baskets, came next day. Good sizes, sturdy. Would buy again."),
    r(
        "other",
        2,
        "Poor quality",
        "Chair wobbles even after tightening every bolt. One leg seems shorter than the others. For £120 I expected better.",
    ),
    r("other", 2, "Colour not as shown", "The 'sage green' throw is more like grey. Photos are very misleading."),
    r(
        "other",
        5,
        "Gorgeous duvet cover",
        "Soft, crisp, and the print is even nicer in real life. Already bought a second set.",
    ),
    r(
        "other",
        1,
        "Fell apart",
        "The bar stools started to come apart within a month. Screws keep working loose and one seat has cracked. Avoid.",
    ),
    r(
        "other",
        4,
        "Easy returns",
        "Returned a mirror that didn't fit the space. Dropped it at the store, no questions asked, refund came through in 3 days.",
    ),
    r("other", 5, "", "Quick delivery, driver rang ahead and was really polite. Great experience."),
    r("other", 4, "Good value", "Good value kitchen stuff. The pans heat evenly and the handles stay cool."),
    r("other", 3, "Ok", "Decent. Nothing special."),
    r(
        "other",
        5,
        "Best furniture shop around",
        "I've furnished my whole flat from Northwind now. Never had a problem. Consistent quality and fair prices.",
    ),
    r(
        "other",
        4,
        "",
        "Staff in Croydon helped me load a flat-pack wardrobe into my car. Didn't even have to ask.",
        store="London Croydon",
    ),
    r(
        "other",
        2,
        "Smaller than expected",
        "Rug is much smaller than I expected. I know the dimensions were listed but the photos make it look huge.",
    ),
    r(
        "other",
        5,
        "Beautiful bed",
        "The Ellery bed frame is stunning and was surprisingly easy to put together. Sleeping like a baby.",
    ),
    r(
        "other",
        3,
        "Question about stock",
        "Does anyone know if the Ashby armchair is coming back in the velvet? It's been out of stock for weeks.",
    ),
    r(
        "other",
        5,
        "Lovely experience",
        "From ordering to delivery everything went smoothly. The sofa even came a day early!",
    ),
    r("other", 4, "", "Pretty good. The candles smell amazing, packaging was a bit excessive though, lots of plastic."),
    r("other", 2, "Flimsy", "Shelving unit is flimsy. The back panel is basically cardboard."),
    r(
        "other",
        5,
        "Assembly service worth it",
        "Paid for the assembly service on a big wardrobe and it was worth every penny. Fitter was fast and tidy.",
    ),
    r(
        "other",
        4,
        "Good app",
        "Easy to use app, handy for tracking orders. Could do with a dark mode.",
        platform="play_store",
        profile="before_app",
    ),
    r(
        "other",
        5,
        "",
        "A staff member at the Bristol store went above and beyond to find the last box of the tiles I wanted in the warehouse. Thank you!",
        store="Bristol Cribbs Causeway",
    ),
    r("other", 3, "Decent but pricey", "Good quality but you can find similar for less elsewhere. Wait for a sale."),
    r(
        "other",
        5,
        "Great sofa, great delivery",
        "Sofa arrived in the slot we chose, the guys were friendly, and it's the comfiest thing I've ever sat on. 10/10.",
    ),
    r(
        "other",
        1,
        "Smells of chemicals",
        "New mattress smells strongly of chemicals even after airing it for a week. Gave me a headache.",
    ),
    r(
        "other",
        4,
        "",
        "Ordered a lamp and some frames. All arrived together, well packed. Frames are a bit plasticky but fine for the price.",
    ),
    r(
        "other",
        5,
        "Customer service hero",
        "Called about a scratch on my new table. The lady on the phone was so kind, sent a repair kit and a £20 voucher without me even asking.",
    ),
    r(
        "other",
        3,
        "Confusing website",
        "Website is a bit confusing to navigate, the filters keep resetting when I go back. Found what I wanted in the end.",
    ),
    r(
        "other",
        5,
        "",
        "My favourite shop for candles and cushions. Always something new. Staff are lovely.",
        store="Glasgow Braehead",
    ),
    r("other", 4, "Nice mugs", "Nice mugs, good weight. One had a small glaze flaw but not worth returning."),
    r("other", 2, "Not as described", "Listing said solid wood. It's veneer over chipboard. Disappointed."),
    r("other", 5, "", "fast delivery great product happy customer"),
    r(
        "other",
        5,
        "Spot on",
        "Ordered Sunday, arrived Tuesday. Curtains are a perfect fit and block the light really well.",
    ),
    r(
        "other",
        4,
        "Good experience overall",
        "Good experience overall. The delivery came on time and the driver was polite. Would like more colour options for the sofas.",
    ),
    r("other", 3, "Meh", "The cushions look nice but go flat fast."),
    r(
        "other",
        5,
        "Wonderful kitchen table",
        "This table is the centrepiece of our kitchen now.\nSturdy, easy to clean, and my kids haven't managed to damage it yet!",
    ),
    r(
        "other",
        5,
        "",
        "Mark at the Nottingham store helped us measure up for a corner sofa and double-checked it would fit through our door. Really appreciated that.",
        store="Nottingham Castle Marina",
    ),
    r(
        "other",
        4,
        "",
        "Love the range of plants and pots in store. Bit pricey but good quality.",
        store="Birmingham Fort Parkway",
    ),
    r("other", 3, "Neutral", "Product fine, delivery fine, nothing to write home about."),
    r(
        "other",
        1,
        "Mattress sagging",
        "Mattress already sagging in the middle after two months. Warranty claim is being 'reviewed'.",
    ),
    r(
        "other",
        5,
        "Early sale",
        "Picked up some lovely throws in the early Black Friday sale. Discount was applied automatically, no hassle at all.",
    ),
    r(
        "other",
        4,
        "Happy",
        "Happy with my order. The bedside tables are nice and compact, exactly what we needed for a small room.",
    ),
    r("other", 5, "", "Amazing quality towels. Thick and soft. Will be buying more."),
    r(
        "other",
        2,
        "Missing parts",
        "Wardrobe arrived with a missing hinge bag so I couldn't finish building it. Replacement is on its way but it's annoying.",
    ),
    r(
        "other",
        5,
        "Great first order",
        "First time ordering. Smooth checkout, arrived in two days, quality is great. New customer here to stay.",
    ),
    r("other", 4, "Friendly driver", "Driver was friendly and careful with my new desk. Only took 3 days to arrive."),
    r(
        "other",
        3,
        "Inconsistent",
        "Some things I've bought from here are great, others have been a let down. The glassware is lovely, the towels pill after a few washes.",
    ),
    r(
        "other",
        5,
        "",
        "Excellent store. Clean, lots of inspiration, and the staff are friendly without being pushy.",
        store="London Wembley",
    ),
    r(
        "other",
        4,
        "App is handy",
        "Handy app, I love getting a notification when something is back in stock.",
        platform="app_store",
        profile="before_app",
    ),
    r(
        "other",
        5,
        "Really impressed",
        "Really impressed with the quality of the Harlow armchair. Feels like it should cost twice as much.",
    ),
    r(
        "other",
        2,
        "Assembly instructions awful",
        "The instructions for the TV unit were just pictures and half of them didn't match the parts. Took me four hours.",
    ),
    r(
        "other",
        5,
        "",
        "The reviews here scared me but my experience at this store was great. In and out in 15 minutes on a Tuesday and staff helped carry my rug to the car.",
        store="Portland OR - Lloyd Center",
    ),
    r(
        "other",
        4,
        "Good stuff",
        "Bought a coffee table and a side table. Good solid construction. Delivery was next day.",
    ),
    r(
        "other",
        3,
        "Is there a price match?",
        "Does Northwind price match? Found the same lamp cheaper elsewhere. Otherwise happy.",
    ),
    r("other", 5, "Love it", "Love love love my new velvet chair. The colour is stunning."),
    r("other", 4, "", "Good selection of furniture. Checkout on the website was quick and easy.", profile="before_app"),
    r(
        "other",
        5,
        "",
        "The team at the Easton store were great. Patient while we sat on every couch in the place! Ended up with a sectional we love.",
        store="Columbus OH - Easton",
    ),
    r(
        "other",
        4,
        "Sturdy desk",
        "Desk is sturdy and a good size for working from home. Cable hole is in a slightly awkward spot but that's nitpicking.",
    ),
    r(
        "other",
        5,
        "",
        "Bought a dining set for $899 and it looks like something three times the price. Delivery crew were on time and super careful.",
        store="Austin TX - Domain",
    ),
    r("other", 3, "", "Good store but parking is a nightmare.", store="Birmingham Fort Parkway"),
    r(
        "other",
        5,
        "Fantastic customer service",
        "Fantastic customer service from the Wembley team, they sorted an exchange in minutes and were really friendly about it.",
        stars_raw="7",
        store="London Wembley",
        platform="google",
        flag="rating out of range (stars = 7)",
    ),
    r(
        "other",
        5,
        "Super comfy",
        "Super comfy armchair, exactly the colour in the photos. Very pleased.",
        stars_raw="five",
        flag="non-numeric rating (stars = 'five')",
    ),
    r("other", 5, "Cushions", "Lovely cushions, fast delivery, will shop again.", bad_date="not a date"),
    r("other", 1, "", "", platform="trustpilot", flag="empty title and empty body"),
    r("other", 2, "", "   \n  ", platform="google", store="London Croydon", flag="whitespace-only body, empty title"),
]

# --------------------------------------------------------------------------------------------
# Support tickets (Zendesk-style export)
# t(theme, category, channel, subject, description, tz=..., day=..., at=..., priority=..., flag=...)
# --------------------------------------------------------------------------------------------


def t(theme, category, channel, subject, description, **kw):
    return {
        "theme": theme,
        "category": category,
        "channel": channel,
        "subject": subject,
        "description": description,
        **kw,
    }


TICKETS = [
    # ---- late deliveries ------------------------------------------------------------------------
    t(
        "late_delivery",
        "delivery",
        "email",
        "Order NW-4821937 not delivered",
        "<p>Hi,</p><p>My order NW-4821937 was due on Tuesday between 7am and 12pm. Nobody came and I haven't had any message. Can you tell me what is going on?</p><p>Thanks,<br>Karen</p>",
    ),
    t(
        "late_delivery",
        "delivery",
        "web_form",
        "Missed delivery slot AGAIN",
        "This is the second time the courier has missed my delivery slot. I booked 12-4 on Saturday, waited in, nothing. The tracking now says 'delayed'. I need this bed frame before my son comes home from uni.",
    ),
    t(
        "late_delivery",
        "delivery",
        "phone",
        "Delivery delay - customer chasing",
        "Customer called chasing order NW-4835520 (3 seater sofa). Original ETA last Friday, now showing 'awaiting carrier'. Checked carrier portal - no scan since depot. Raised with logistics, promised callback within 24h. Customer very frustrated, mentioned cancelling.",
    ),
    t(
        "late_delivery",
        "delivery",
        "chat",
        "Where is my order?",
        "hi, my order was supposed to arrive 5 days ago and the tracking hasnt updated since. order number NW-4840012. can someone check please",
    ),
    t(
        "late_delivery",
        "delivery",
        "email",
        "Re: Your delivery has been rebooked",
        "<p>Hello again,</p><p>It is now a full week after the date you gave me in your last email and the dining table still hasn't arrived.</p><p>Regards,<br>Peter Lang</p>"
        '<div class="gmail_quote"><p>On Mon, 2 Nov 2026 at 09:41, Northwind Home Support &lt;support@northwindhome.example&gt; wrote:</p>'
        '<blockquote type="cite">Thanks for your patience. Your delivery has been rebooked and should reach you within 3-5 working days.<br>Kind regards,<br>Northwind Home Customer Care</blockquote></div>',
        day="2026-11-13",
        flag="HTML e-mail with quoted reply",
    ),
    t(
        "late_delivery",
        "delivery",
        "web_form",
        "Delivery window missed",
        "I was given a delivery window of 8am-1pm today. It's now 6pm and there's been no sign of a driver. I have taken unpaid leave to be here. Please call me to rebook.",
    ),
    t(
        "late_delivery",
        "delivery",
        "phone",
        "Late delivery complaint",
        "Caller advised 3rd failed delivery attempt on NW-4851190, customer was home each time. Carrier claims 'no access'. Customer lives in a ground floor flat with direct access. Escalated to carrier complaints + offered £15 goodwill. Declined, wants delivery fee refunded.",
    ),
    t(
        "late_delivery",
        "delivery",
        "email",
        "Re: Your delivery is on its way",
        "Your email said 'on its way' eight days ago. It's clearly not on its way. Either tell me where it is or cancel it.\n\n-----Original Message-----\nFrom: Northwind Home <no-reply@northwindhome.example>\nSubject: Your delivery is on its way\n\nGood news! Your order NW-4839977 has been dispatched and will be with you soon.",
        flag="plain e-mail with quoted original message",
    ),
    t(
        "late_delivery",
        "delivery",
        "chat",
        "Delivery date keeps changing",
        "every time I check the date moves. first it was wednesday then friday now monday. is it actually in stock??",
    ),
    t(
        "late_delivery",
        "delivery",
        "web_form",
        "No delivery, no update",
        "Paid for next-day delivery on a set of drawers. 4 days later nothing. I'd like the next-day charge refunded at minimum.",
    ),
    t(
        "late_delivery",
        "delivery",
        "email",
        "Urgent - delivery for moving day",
        "<p>We're moving house on Saturday and the wardrobes were supposed to be delivered to the new address on Thursday. The slot has now been pushed back to the 18th with no explanation.</p><p>We will have nowhere to put our clothes. Please can this be escalated?</p><p>Thanks<br>Amira &amp; Joe</p>",
        day="2026-11-10",
        priority="high",
    ),
    t(
        "late_delivery",
        "delivery",
        "phone",
        "Customer chasing late order",
        "Cust chasing order placed 2.5 wks ago, ETA passed. Carrier shows parcel at hub for 6 days. Opened investigation. Cust asked why there were no proactive comms - apologised.",
    ),
    t(
        "late_delivery",
        "delivery",
        "chat",
        "Problem with deliveries?",
        "hi is there a problem with deliveries at the moment? 3 of my friends have also had late orders and mine is now 6 days overdue",
    ),
    t(
        "late_delivery",
        "delivery",
        "web_form",
        "Missed slot + no notification",
        "The delivery slot came and went. No text, no email, no card through the door. I only found out it had been 'rescheduled' when I checked the website.",
    ),
    t(
        "late_delivery",
        "delivery",
        "email",
        "Order NW-4866023 - delivery date?",
        "Hello,\n\nI am still waiting for my order NW-4866023. The estimated delivery date was last Wednesday. Could you please confirm when it will arrive? You can reach me on +44 7700 900218 during the day or at margaret.holt@example.co.uk.\n\nKind regards\nMargaret Holt",
        flag="PII: UK mobile (Ofcom drama range) + e-mail in body",
    ),
    t(
        "late_delivery",
        "delivery",
        "phone",
        "Missed 2-hour slot",
        "Cust rang re missed 2-hr slot. Driver didn't turn up, no call. 2nd missed slot for this order. Rebooked for Thu AM, flagged as priority. Cust asked to be called back by a team leader.",
    ),
    t(
        "late_delivery",
        "delivery",
        "web_form",
        "Delivery was supposed to be today",
        "Delivery was meant to be today, tracking now says tomorrow, I can't be home tomorrow. Why do you book slots you can't keep?",
    ),
    t(
        "late_delivery",
        "delivery",
        "chat",
        "late order",
        "Good afternoon. My order is now 10 days late. I was told on the phone last week it would be escalated but I've heard nothing since.",
    ),
    t(
        "late_delivery",
        "delivery",
        "email",
        "Delivery of recliner - 2 weeks late",
        "<p>Hi there,<br>I ordered a recliner from the Austin store for home delivery. It was supposed to come 2 weeks ago. I've called the store 3 times and they say it's with the delivery partner.</p><p>Call me at (555) 014-2297, I'm home after 4.</p><p>Thanks,<br>Dwayne</p>",
        tz="America/Chicago",
        flag="PII: US phone in (555) 01xx format (not a valid number for libphonenumber)",
    ),
    t(
        "late_delivery",
        "delivery",
        "phone",
        "Cancel order - repeated delays",
        "Customer very upset, 4th rescheduled delivery on bed order NW-4878410. Requests cancellation and full refund incl. delivery charge. Processed cancellation, refund 3-5 working days.",
    ),
    t(
        "late_delivery",
        "delivery",
        "web_form",
        "Where is my wardrobe??",
        WARDROBE_TEXT,
        day="2026-11-09",
        at="09:12",
        flag="same text as a portal review (cross-source duplicate)",
    ),
    t(
        "late_delivery",
        "delivery",
        "chat",
        "Late order",
        "My order was due Saturday. Its Tuesday. Can someone PLEASE tell me where it is",
        missing_id=True,
    ),
    # ---- damaged / wet / wrong address -------------------------------------------------------------
    t(
        "damaged_parcel",
        "delivery",
        "email",
        "Damaged item - photos attached",
        "<p>Hi,</p><p>The sideboard arrived today with a cracked top and a broken door hinge. The box was crushed on one corner. Photos attached.</p><p>I'd like a replacement please, not a refund.</p><p>Thanks,<br>Lucy</p>",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "web_form",
        "Parcel left in rain",
        "Parcel left on my doorstep in heavy rain while I was home (nobody knocked). Box completely soaked, the fabric headboard inside is water marked.",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "phone",
        "Wrong address delivery",
        "Cust reports parcel marked delivered but not received. POD photo shows a different front door (blue, cust's is white). Raised lost parcel claim with carrier. Cust wants re-send asap.",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "chat",
        "Delivered to wrong address",
        "my parcel was delivered to the wrong address, the tracking photo shows it on someone elses porch. what do i do",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "email",
        "Broken glass",
        "Three of the wine glasses in the set were broken when I opened the box. There was barely any packaging. Can you send replacements?\n\nSent from my iPhone",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "web_form",
        "Left with neighbour without permission",
        "I did not give permission to leave my parcel with a neighbour, and the neighbour named on the card says they don't have it.",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "phone",
        "Damage on delivery - sofa",
        "Sofa delivered with torn fabric on the arm (approx 5cm) and scuffed feet. Cust refused the footstool as its box was also damaged. Booked collection + replacement.",
    ),
    t(
        "damaged_parcel",
        "returns",
        "email",
        "Damaged lamp - return?",
        "<p>Good morning,</p><p>The ceramic lamp base I received is chipped all around the bottom. Do I need to return it or will you just send another?</p><p>Best wishes,<br>Harriet</p>",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "chat",
        "Parcel left outside overnight",
        "Box was left outside in the rain overnight, found it this morning all soggy. rug inside is damp and smells.",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "web_form",
        "Wrong address",
        "The courier delivered to my previous address even though my account and the order confirmation both show my new one. Can you get it back?",
    ),
    t(
        "damaged_parcel",
        "delivery",
        "phone",
        "Cracked mirror",
        "Cust reports mirror arrived cracked, outer box intact. Replacement sent, no need to return the damaged one.",
        bad_date="31/02/2026",
    ),
    # ---- coupon rejected ----------------------------------------------------------------------------
    t(
        "coupon_rejected",
        "other",
        "chat",
        "code not working",
        "hi, trying to use WELCOME10 and it says code not valid. i only just signed up",
    ),
    t(
        "coupon_rejected",
        "other",
        "web_form",
        "Promo code rejected",
        "Your email advertised 15% off with code COSY15. At checkout it says 'This promotion is not valid for the items in your basket'. I'm buying a sofa which is in the promotion according to your own website.",
    ),
    t(
        "coupon_rejected",
        "payment",
        "email",
        "Discount not applied to order NW-4871203",
        "<p>Hello,</p><p>I placed an order yesterday using the discount code from your newsletter. The checkout showed the discount but my confirmation email and the charge on my card are for the full amount (&pound;284.00 instead of &pound;255.60).</p><p>Please refund the difference.</p>",
    ),
    t(
        "coupon_rejected",
        "other",
        "phone",
        "WELCOME10 invalid at checkout",
        "Cust unable to apply WELCOME10 at checkout, error 'invalid code'. Tested on our side - same error. Known issue since the checkout release on Mon 2 Nov (INC-2291). Placed order manually with 10% off.",
    ),
    t(
        "coupon_rejected",
        "other",
        "chat",
        "Voucher says expired",
        "Why won't my voucher work? It keeps saying it's expired but the email says valid until 30 Nov.",
    ),
    t(
        "coupon_rejected",
        "other",
        "web_form",
        "Coupon issue",
        "The coupon code field doesn't accept anything. I've tried three codes now.",
    ),
    t(
        "coupon_rejected",
        "other",
        "email",
        "Re: Your WELCOME10 code",
        "You said to try again after 24 hours. I have. Same error.\n\nOn Wed, 4 Nov 2026, 14:20 Northwind Home Support <support@northwindhome.example> wrote:\n> Sorry to hear the code isn't working. Our team is aware of an issue at checkout.\n> Please try again in 24 hours.\n> Kind regards, Priya",
        day="2026-11-05",
        flag="plain e-mail with quoted reply",
    ),
    t(
        "coupon_rejected",
        "other",
        "chat",
        "promo won't apply",
        "promo wont apply on the app or the website. is the sale still on??",
    ),
    t(
        "coupon_rejected",
        "other",
        "phone",
        "Friends & family code rejected",
        "Caller tried to use staff friends & family code, rejected at checkout. Escalated to ecommerce team, part of the checkout discount bug. Advised to wait for fix or order in store.",
    ),
    t(
        "coupon_rejected",
        "other",
        "web_form",
        "Discount code error",
        "Every discount code returns 'Something went wrong, please try again'. This started this week. Before that your codes worked fine for me.",
    ),
    t(
        "coupon_rejected",
        "other",
        "email",
        "Student discount",
        "<p>Hi team,</p><p>My student discount code is being rejected at checkout with &quot;code not valid&quot;. I verified my student status again just in case and got a new code, that one's rejected too.</p><p>Cheers,<br>Ollie</p>",
    ),
    t(
        "coupon_rejected",
        "other",
        "chat",
        "TV advert code",
        "hello, the 20% off code from the TV advert doesnt work. is there a different one I should use?",
    ),
    t(
        "coupon_rejected",
        "payment",
        "web_form",
        "Charged full price",
        "Applied my code and saw the discount, then at the payment step the total jumped back up. I only noticed after paying. I want the 10% back.",
    ),
    t(
        "coupon_rejected",
        "other",
        "web_form",
        "Discount code COSY15 keeps failing",
        "Tried the COSY15 code on three different days, still 'not valid'. Is the offer over or is your site broken?",
        bad_date="not a date",
    ),
    # ---- double charge -----------------------------------------------------------------------------
    t(
        "double_charge",
        "payment",
        "email",
        "Charged twice for order NW-4844410",
        "<p>Hi,</p><p>I've been charged twice for my order. My bank shows two payments of &pound;189.00 on the same day. Please refund the duplicate.</p><p>Thanks<br>Sam</p>",
    ),
    t(
        "double_charge",
        "payment",
        "phone",
        "Double charge",
        "Cust sees 2 x £629 debits for one order (NW-4850066). Checked PSP - second auth captured in error. Raised refund ticket with finance. Cust asked for written confirmation.",
    ),
    t(
        "double_charge",
        "payment",
        "web_form",
        "Duplicate payment",
        "Card 4111 1111 1111 1111 was charged twice for the same order. I need the extra money back immediately, I am now overdrawn.",
        flag="PII: card number (Luhn-valid test number)",
    ),
    t(
        "double_charge",
        "payment",
        "chat",
        "payment taken twice",
        "the payment page froze so I pressed pay again and now it's taken the money twice. only one order in my account though",
    ),
    t(
        "double_charge",
        "payment",
        "email",
        "Double charge - please refund to bank",
        "Hello,\n\nYou charged my debit card twice for order NW-4863380. As my card has since been replaced, please refund the duplicate to my bank account instead:\nIBAN GB82 WEST 1234 5698 7654 32\n\nRegards,\nTom Ashworth\n07700 900873",
        flag="PII: IBAN (GB) + UK mobile (drama range)",
    ),
    t(
        "double_charge",
        "payment",
        "phone",
        "Charged twice via PayPal",
        "Cust charged twice via PayPal for a single order. Confirmed duplicate on our side. Refund issued, 3-5 days. Cust also unhappy about a 40 min hold time before reaching us.",
    ),
    t(
        "double_charge",
        "payment",
        "web_form",
        "Two charges one order",
        "I have two charges from Northwind Home on my statement for one order. I only received one confirmation email. Please investigate.",
    ),
    t(
        "double_charge",
        "payment",
        "chat",
        "Billed twice?",
        "Hi, I've just noticed I've been billed twice for my delivery. Can you check order NW-4872215?",
    ),
    t(
        "double_charge",
        "payment",
        "email",
        "Re: Duplicate charge",
        "It's been 12 days since you said the extra charge would be reversed. It hasn't been.\n\n> On 3 Nov 2026 Northwind Home Support wrote:\n> We can confirm a duplicate payment was taken. This will be returned within 5-7 working days.",
        day="2026-11-15",
    ),
    t(
        "double_charge",
        "payment",
        "phone",
        "Double charge on store card",
        "Cust reports double charge on store card for the same purchase in the Trafford store. Till crashed mid-transaction and was re-run by a colleague. Escalated to store card team.",
    ),
    t(
        "double_charge",
        "payment",
        "email",
        "Doppelte Abbuchung Bestellung NW-4859012",
        "<p>Guten Tag,</p><p>für meine Bestellung NW-4859012 wurde der Betrag zweimal von meiner Karte abgebucht. Bitte erstatten Sie die doppelte Zahlung umgehend auf mein Konto DE89 3704 0044 0532 0130 00.</p><p>Für Rückfragen erreichen Sie mich unter +49 30 12345678.</p><p>Mit freundlichen Grüßen<br>Jana Köhler</p>",
        tz="Europe/Berlin",
        flag="non-English (German); PII: IBAN (DE) + German phone",
    ),
    # ---- refund not received ------------------------------------------------------------------------
    t(
        "refund_missing",
        "returns",
        "web_form",
        "Refund not received",
        "I returned my order over three weeks ago and the tracking shows it was delivered back to you. I still haven't received my refund.",
    ),
    t(
        "refund_missing",
        "returns",
        "email",
        "Still waiting on refund - RMA 55310",
        "<p>Hi,</p><p>This is my third email about this. Return RMA 55310 was dropped off at the post office on the 14th of last month. Your website says refunds take up to 14 days. It has been more than 30.</p><p>Please escalate.</p>",
        profile="after_checkout",
    ),
    t(
        "refund_missing",
        "returns",
        "phone",
        "Refund chase - coffee table",
        "Cust chasing refund for returned coffee table, collected by carrier 19 days ago. Warehouse hasn't booked it in. Chased warehouse, asked for manual refund approval. Cust upset - 'everyone keeps saying 5 more days'.",
    ),
    t("refund_missing", "returns", "chat", "where is my refund", "where is my refund? I sent back the rug 4 weeks ago"),
    t(
        "refund_missing",
        "returns",
        "email",
        "Fw: Refund",
        "Forwarding my previous email as I have had no reply.\n\n---------- Forwarded message ---------\nFrom: Claire Dunn <claire.dunn@example.net>\nTo: support@northwindhome.example\nSubject: Refund\n\nHi, I returned two cushions and a throw on the 20th and still have no refund. Order NW-4830541.\n\nClaire",
        profile="after_checkout",
        flag="PII: e-mail in forwarded header",
    ),
    t(
        "refund_missing",
        "payment",
        "web_form",
        "Refund for cancelled order",
        "I cancelled my order within an hour of placing it. You confirmed the cancellation. 16 days later the money still hasn't gone back onto my card.",
    ),
    t(
        "refund_missing",
        "returns",
        "phone",
        "Refund missing - in-store return",
        "Cust returned item in store (Leeds) 3 wks ago, receipt shows refund to card. Not received. Checked - refund failed due to expired card. Re-issued via bank transfer. Apologised.",
    ),
    t(
        "refund_missing",
        "returns",
        "chat",
        "Refund reference",
        "I was told my refund was issued 10 days ago but there's nothing on my account. Can you send me a reference number so I can show the bank?",
    ),
    t(
        "refund_missing",
        "returns",
        "web_form",
        "Reembolso pendiente",
        "Devolví el pedido hace más de tres semanas y todavía no he recibido el reembolso. Nadie contesta mis correos. Por favor, díganme qué pasa.",
        tz="Europe/Madrid",
        flag="non-English (Spanish)",
    ),
    t(
        "refund_missing",
        "other",
        "phone",
        "Mixed feedback",
        "Cust thanked agent for sorting the replacement quickly, very happy with that, but unhappy the refund for the original faulty lamp is still pending after 3 weeks.",
        flag="mixed: thanks the agent + missing refund",
    ),
    # ---- support: rude / long waits -----------------------------------------------------------------
    t(
        "support_service",
        "other",
        "email",
        "Complaint about agent",
        "<p>I want to make a formal complaint about the agent I spoke to on the phone yesterday. He was sarcastic, interrupted me constantly and told me my problem was &quot;not his department&quot; before hanging up.</p>",
    ),
    t(
        "support_service",
        "other",
        "web_form",
        "Can't get through on phone",
        "I've tried calling four times today. Each time I'm on hold for 40+ minutes and then the line goes dead. Is anyone actually working there?",
    ),
    t(
        "support_service",
        "other",
        "chat",
        "chat wait",
        "been waiting in the chat queue for an hour before this. why is it so slow",
    ),
    t(
        "support_service",
        "other",
        "phone",
        "Complaint re previous agent",
        "Cust complained re previous agent's attitude (call on Tues): felt dismissed and patronised. Apologised, logged feedback for TL review.",
    ),
    t(
        "support_service",
        "other",
        "email",
        "No response to 3 emails",
        "I've sent three emails in two weeks and only had automated replies. Nobody has actually read them.\n\n--\nRob Fenwick\nMobile: +44 7700 900655",
        flag="PII: UK mobile after the '--' signature delimiter",
    ),
    t(
        "support_service",
        "other",
        "web_form",
        "Poor service",
        "The chat agent closed the conversation while I was still typing. When I reconnected I had to wait another 35 minutes and explain everything again.",
    ),
    t(
        "support_service",
        "other",
        "chat",
        "agent attitude",
        "Your agent told me to 'calm down' when I asked a perfectly reasonable question. Not ok.",
    ),
    t(
        "support_service",
        "other",
        "email",
        "Callback never happened",
        "I was promised a call back from a supervisor 'within 24 hours'. That was last Tuesday.\n\nGet Outlook for Android",
    ),
    # ---- app crashes / login after 5.4.0 ------------------------------------------------------------
    t(
        "app_login_crash",
        "technical",
        "web_form",
        "App crashing",
        "App crashes every time I open it since updating to 5.4.0. iPhone 13 mini, latest iOS.",
    ),
    t(
        "app_login_crash",
        "account",
        "chat",
        "cant log in",
        "cant log in on the app, it just keeps sending me back to the login page",
    ),
    t(
        "app_login_crash",
        "account",
        "email",
        "Locked out",
        "<p>Hello,</p><p>Since the app updated I cannot log in. I reset my password (twice) but the app still says &quot;unable to sign in&quot;. On the website the same password works.</p><p>Please call me on (614) 555-0193.</p>",
        tz="America/New_York",
        flag="PII: US phone (valid area code, fictional 555-01xx line)",
    ),
    t(
        "app_login_crash",
        "technical",
        "phone",
        "Android app crash on login",
        "Cust on Android (Samsung A53) - app crashes on login after latest update. Cleared cache/reinstalled, no change. Logged under known issue APP-5.4-LOGIN. Advised to use mobile site meanwhile.",
    ),
    t(
        "app_login_crash",
        "technical",
        "web_form",
        "App closes when I try to track my parcel",
        "The app closes when I try to open my orders. It worked last week.",
    ),
    t(
        "app_login_crash",
        "account",
        "chat",
        "Face ID not working",
        "Face ID sign in stopped working after the update and now the password login just spins forever",
    ),
    t(
        "app_login_crash",
        "technical",
        "email",
        "Bug report: crash after sign in",
        "Steps: open app -> tap Sign in -> enter email/password -> tap Continue.\nExpected: account page.\nActual: app freezes ~3 seconds then crashes.\nDevice: Pixel 8, Android 16, app 5.4.0. Happens 100% of the time.",
    ),
    t(
        "app_login_crash",
        "account",
        "web_form",
        "Session expired loop",
        "After login the app says 'Your session has expired' immediately. Endless loop.",
    ),
    t(
        "app_login_crash",
        "technical",
        "phone",
        "Unable to log in to app",
        "Caller unable to log in to app since Wed update. iOS. Error 'something went wrong'. Walked through reinstall, same. Added to APP-5.4-LOGIN incident.",
    ),
    t("app_login_crash", "technical", "chat", "app crash", "app keeps crashing on the sign in screen, pls fix!!"),
    # ---- other ----------------------------------------------------------------------------------------
    t(
        "other",
        "other",
        "web_form",
        "Assembly question",
        "Does the Ellery bed come with the tools needed to assemble it or do I need my own?",
    ),
    t(
        "other",
        "delivery",
        "chat",
        "Change delivery address",
        "Can I change my delivery address? Order hasn't shipped yet.",
    ),
    t(
        "other",
        "payment",
        "email",
        "VAT invoice request",
        "<p>Could you please send a VAT invoice for order NW-4829914? It's for my business.</p><p>Many thanks,<br>Ruth Bailey<br>Bailey &amp; Finch Interiors</p>",
    ),
    t(
        "other",
        "other",
        "phone",
        "Stock enquiry - Harlow sofa",
        "Cust asking about stock of Harlow sofa in charcoal. Advised back in stock ETA early Dec. Set up notification.",
    ),
    t("other", "other", "chat", "thanks", "Just wanted to say thanks, the sofa arrived today and it's perfect!"),
    t(
        "other",
        "returns",
        "web_form",
        "How do I return an item?",
        "I'd like to return a mirror that doesn't fit. Do I need the original box?",
    ),
    t(
        "other",
        "other",
        "email",
        "Fabric swatches",
        "Hi, could you send me fabric swatches for the Ashby armchair? Thanks",
    ),
    t(
        "other",
        "account",
        "phone",
        "Update email address",
        "Cust wanted to update the email address on the account. Verified ID, updated.",
    ),
    t(
        "other",
        "other",
        "web_form",
        "Warranty claim - mattress",
        "My mattress has developed a dip after 3 months. How do I make a warranty claim?",
    ),
    t("other", "other", "chat", "gift cards", "do you do gift cards?"),
    t(
        "other",
        "returns",
        "email",
        "Return collection booking",
        "<p>Hi, I'd like to book a collection for a return (order NW-4847720). Any day next week works.</p><p>Thanks, Aisha</p>",
    ),
    t(
        "other",
        "other",
        "web_form",
        "Product question",
        "Is the oak dining table solid oak or veneer? The listing doesn't say.",
    ),
    t(
        "other",
        "delivery",
        "phone",
        "Old sofa removal",
        "Cust asked whether the delivery team will take away the old sofa. Explained removal service (£25). Added to order.",
    ),
    t(
        "other",
        "account",
        "chat",
        "unsubscribe",
        "how do I unsubscribe from marketing emails? I've clicked unsubscribe twice",
    ),
    t(
        "other",
        "other",
        "email",
        "Thank you",
        "<p>Just a note to say thank you to Jess in your Bristol store who helped me find the perfect rug. Lovely service.</p>",
    ),
    t(
        "other",
        "other",
        "web_form",
        "Missing screws",
        "The bookcase was missing the screw pack. Could you send one please? Order NW-4855631.",
    ),
    t(
        "other",
        "payment",
        "phone",
        "Store card 0% question",
        "Cust asked about the store card interest-free period on sofas. Explained 12 months 0% promo terms. Sent T&Cs by email.",
    ),
    t("other", "delivery", "chat", "Isle of Wight", "do you deliver to the Isle of Wight?"),
    t(
        "other",
        "other",
        "web_form",
        "Scratch on table",
        "Small scratch on the table top, noticed after assembly. Not a big deal but do you have a touch-up kit?",
    ),
    t(
        "other",
        "technical",
        "email",
        "Website wishlist",
        "The wishlist on the website doesn't show the items I saved on the app. Are they supposed to sync?",
        profile="before_app",
    ),
    t(
        "other",
        "other",
        "phone",
        "Delivery team praise",
        "Feedback: cust praised delivery team for careful handling of piano stool and sideboard. Passing on to logistics.",
    ),
    t("other", "other", "chat", "opening hours", "Is the Manchester store open late on Thursdays?"),
    t(
        "other",
        "returns",
        "web_form",
        "Exchange for different colour",
        "Can I exchange my grey cushions for the green ones without returning and reordering?",
    ),
    t(
        "other",
        "other",
        "email",
        "Order for a care home",
        "<p>Good afternoon,</p><p>We&#39;re a care home looking to order 20 armchairs. Do you offer trade discounts or bulk pricing? You can call me directly on +44 20 7946 0321.</p><p>Kind regards,<br>Janet Price<br>Office Manager</p>",
        flag="PII: UK landline (valid, drama range); &#39; entity",
    ),
    t("other", "other", "chat", "stock in Leeds", "do you have the mustard velvet chair in stock at the Leeds store?"),
    t(
        "other",
        "account",
        "web_form",
        "Delete my account",
        "Please delete my account and all personal data under GDPR. The email on the account is p.novak@example.org.",
        flag="PII: e-mail address",
    ),
    t(
        "other",
        "returns",
        "phone",
        "Made-to-order return",
        "Cust asked about returning a made-to-order sofa. Explained it is non-returnable unless faulty per T&Cs. Cust accepted.",
    ),
    t(
        "other",
        "other",
        "email",
        "Quality issue with towels",
        "The towels bobbled after the first wash. Is that normal?",
    ),
    t("other", "other", "chat", "wobbly legs", "the sofa legs are a bit wobbly, is there something i can tighten?"),
    t(
        "other",
        "delivery",
        "web_form",
        "Delivery instructions",
        "Please leave the parcel in the porch if I'm out. The door is unlocked during the day.",
    ),
    t(
        "other",
        "other",
        "email",
        "Compliment for delivery crew",
        "The delivery crew this morning were brilliant. Polite, careful, and they even put the bed together for us. Thank you!",
    ),
    t("other", "payment", "chat", "klarna", "can i pay with klarna?"),
    t(
        "other",
        "other",
        "web_form",
        "Size of rug",
        "What are the exact dimensions of the large Tova rug? The listing says 160x230 but the photo looks bigger.",
    ),
    t(
        "other",
        "account",
        "email",
        "Password reset email not arriving",
        "I requested a password reset three times on the website but nothing arrives, not even in spam.",
        profile="before_app",
    ),
    t(
        "other",
        "other",
        "phone",
        "New store enquiry",
        "General enquiry re opening of the new Cardiff store. Advised spring 2027.",
    ),
    t("other", "other", "chat", "candles", "Love your new autumn range btw! Quick q - are the candles vegan?"),
    t("other", "other", "chat", "price match", "Do you price match with other retailers?", bad_date=""),
    t("other", "other", "email", "", "", flag="empty subject and empty description"),
    t(
        "other",
        "other",
        "email",
        " ",
        "<p>&nbsp;</p>\n<br>",
        flag="subject is a space, description is markup only (empty once HTML is stripped)",
    ),
]

TICKET_PRIORITY = {
    "late_delivery": ["normal", "normal", "high", "high", "urgent"],
    "damaged_parcel": ["normal", "normal", "high"],
    "coupon_rejected": ["low", "normal", "normal"],
    "double_charge": ["high", "high", "urgent"],
    "refund_missing": ["normal", "high", "high"],
    "support_service": ["normal", "normal", "high"],
    "app_login_crash": ["normal", "high", "high"],
    "store_queues": ["low", "normal"],
    "other": ["low", "low", "normal"],
}

# --------------------------------------------------------------------------------------------
# CFPB-style complaints about the Northwind Home store card and payments
# c(theme, product, sub_product, issue, sub_issue, narrative, state, zip, tags=..., ...)
# --------------------------------------------------------------------------------------------

CC, STORE = "Credit card or prepaid card", "Store credit card"
CHK, CHK_SUB = "Checking or savings account", "Checking account"
DEBT = "Debt collection"

PURCHASE_DISPUTE = (
    "Problem with a purchase shown on your statement",
    "Credit card company isn't resolving a dispute about a purchase on your statement",
)
NOT_PURCHASED = (
    "Problem with a purchase shown on your statement",
    "Card was charged for something you did not purchase with the card",
)
CHARGING_ACCOUNT = ("Problem with a lender or other company charging your account", "Transaction was not authorized")
DEPOSITS = ("Managing an account", "Deposits and withdrawals")
DEBT_PAID = ("Attempts to collect debt not owed", "Debt was paid")
NOT_OWED = ("Attempts to collect debt not owed", "Debt is not yours")


def c(theme, product, sub_product, issue_pair, narrative, state, zip_code, **kw):
    issue, sub_issue = issue_pair
    return {
        "theme": theme,
        "product": product,
        "sub_product": sub_product,
        "issue": issue,
        "sub_issue": sub_issue,
        "narrative": narrative,
        "state": state,
        "zip": zip_code,
        **kw,
    }


COMPLAINTS = [
    # ---- double charges -----------------------------------------------------------------------
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "On XX/XX/2026 I purchased a sectional sofa from Northwind Home online for {$1400.00} using my Northwind Home store credit card. When my statement arrived the purchase had been posted twice, for a total of {$2800.00}. I called Northwind Home customer service and was told the second charge was a temporary authorization and would fall off. It did not. It is now on my statement and I am being charged interest on it. I have disputed it twice and have not received any resolution.",
        "OH",
        "43219",
    ),
    c(
        "double_charge",
        CHK,
        CHK_SUB,
        CHARGING_ACCOUNT,
        "I was charged two times for the same order. Order number XXXX. Both charges of {$312.45} posted to my checking account on XX/XX/2026. The merchant Northwind Home says they only see one payment on their end. My bank says the merchant has to reverse it. I am stuck in the middle and out over three hundred dollars.",
        "TX",
        "787XX",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Northwind Home double charged my store card for a dining set. I only have one receipt. I submitted a dispute on XX/XX/2026 and the card servicer closed it within two days saying the charges were valid. They did not ask me for any documents. I have the order confirmation showing ONE order for {$879.99}.",
        "GA",
        "30318",
    ),
    c(
        "double_charge",
        CHK,
        CHK_SUB,
        DEPOSITS,
        "I made a purchase at the Northwind Home store in XXXX, XXXX. The register froze during the transaction and the cashier ran my debit card again. Both transactions went through. The store manager said he would fix it but nothing has happened and that was almost 3 weeks ago. This caused my account to overdraft and my bank charged me {$35.00} in overdraft fees.",
        "OH",
        "43085",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Duplicate charge of {$64.00} for a delivery fee on my Northwind Home credit card. I contacted them four times. Each time I am told a refund request has been submitted. No credit on my account.",
        "PA",
        "19104",
    ),
    c(
        "double_charge",
        CHK,
        CHK_SUB,
        CHARGING_ACCOUNT,
        "I placed one online order with Northwind Home and my card was charged three times for {$229.00}. I have screenshots of my bank account showing all three. Only one order exists. I am a single mother and this has left me without money for groceries this week. Northwind Home customer service told me to wait 10 business days.",
        "FL",
        "33614",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "My Northwind Home store credit card statement shows the same purchase twice, on XX/XX/2026 and XX/XX/2026. Amount {$455.10}. I called and they said I need to file a dispute in writing. I mailed it on XX/XX/2026. I received no acknowledgement. The duplicate is still on the account and now a late fee was added because I refused to pay the duplicated amount.",
        "IL",
        "606XX",
    ),
    c(
        "double_charge",
        CHK,
        CHK_SUB,
        CHARGING_ACCOUNT,
        "I was billed twice for a mattress from Northwind Home. The website gave an error at checkout so I tried again and both went through. They canceled the second order but they did not refund the second payment of {$749.00}. They claim the money was never captured but my bank statement shows that it was.",
        "WA",
        "98103",
    ),
    c(
        "double_charge",
        CHK,
        CHK_SUB,
        CHARGING_ACCOUNT,
        "Northwind Home charged my checking account twice for a single purchase. I have provided my bank statement to them by email. They keep asking for the same information again and again. This is the fourth week.",
        "NC",
        "27604",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "On XX/XX/2026 I bought a bed frame and two nightstands. My Northwind Home card was charged {$1032.50} twice. I was told by the credit card company that the merchant must issue the credit. I was told by the merchant that the credit card company must reverse it. No one will take responsibility.",
        "MI",
        "48226",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Double charge on my account for order XXXX. The company acknowledged the error in an email dated XX/XX/2026 and promised a refund within 5-7 business days. It is now XX/XX/2026 and there is no refund. Interest is accruing on the duplicated balance.",
        "NY",
        "11215",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I was charged twice for one purchase of {$98.76}. I am XXXX years old and on a fixed income. I have called the number on my card statement many times and waited on hold over an hour each time. Please help me get this money back.",
        "OR",
        "97220",
        tags="Older American",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "The Northwind Home mobile checkout charged my card twice. The customer service agent was rude and told me it was my fault for clicking the button twice. I only clicked once. I want the duplicate charge of {$187.00} removed and the interest reversed.",
        "CA",
        "92101",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Duplicate transaction posted to my Northwind Home card by the retailer. I disputed it. The card issuer sent me a letter stating the dispute was resolved in the merchant's favor because a receipt was provided. The receipt they provided is for ONE transaction. There are TWO on my statement.",
        "TX",
        "75201",
    ),
    c(
        "double_charge",
        CHK,
        CHK_SUB,
        CHARGING_ACCOUNT,
        "There are two identical charges from Northwind Home on my checking account dated XX/XX/2026, each for {$540.00}. I have only ever placed one order with them. Please investigate why a company can take money twice and then ignore my emails.",
        "AZ",
        "85004",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I am active duty military and was deployed for part of this month. My spouse placed an order using my Northwind Home card which was charged twice. We have been trying to get the second charge reversed since XX/XX/2026 with no success.",
        "VA",
        "234XX",
        tags="Servicemember",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Charged twice for the same purchase at Northwind Home. They refunded one of the charges to a card I no longer have, which was closed. The refund has not been reissued and nobody can tell me where the money went.",
        "CO",
        "80202",
    ),
    c(
        "double_charge",
        CC,
        STORE,
        ("Problem when making payments", "Problem during payment process"),
        "Northwind Home took two payments of {$150.00} from my bank for my store card bill on the same day. I only authorized one autopay. The second payment caused my checking account to go negative. They refuse to return it and say it will be applied as a credit to my balance. I want my money back, not a credit.",
        "OH",
        "44113",
    ),
    c(
        "double_charge",
        DEBT,
        "Other debt",
        ("Attempts to collect debt not owed", "Debt was result of identity theft"),
        "My mother, who is XXXX years old, is being called by collectors for a Northwind Home store card balance that she disputed because of a double charge. The double charge was never resolved and now the whole amount is in collections. She does not owe this.",
        "FL",
        "32804",
        tags="Older American",
    ),
    # ---- refunds not received (incl. collections on returned / cancelled orders) ----------------
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I returned a sofa to Northwind Home on XX/XX/2026. The carrier picked it up and I have tracking showing it was delivered to their warehouse. Northwind Home promised a refund of {$1199.00} to my store credit card within 14 days. It has been 5 weeks. The balance is still on my card and I am being charged interest on it.",
        "OH",
        "43230",
    ),
    c(
        "refund_missing",
        CHK,
        CHK_SUB,
        DEPOSITS,
        "I canceled an order before it shipped and got a cancellation email. The charge of {$310.00} was never reversed. I have contacted Northwind Home XXXX times.",
        "NJ",
        "07030",
    ),
    c(
        "refund_missing",
        CHK,
        CHK_SUB,
        DEPOSITS,
        "Returned merchandise in store on XX/XX/2026. Store receipt says refund issued to original form of payment. The refund never appeared on my checking account. The store says to call customer service, customer service says to go to the store.",
        "TX",
        "78701",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Northwind Home has not refunded me for a damaged table I sent back over a month ago. They keep telling me the return is 'in transit' even though their own warehouse signed for it on XX/XX/2026. Amount {$420.00}.",
        "MN",
        "55401",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I was promised a refund of {$89.99} for a missing item in my order. The agent confirmed it in a chat on XX/XX/2026. Still no refund, and when I ask they say they have no record of the chat.",
        "MA",
        "02139",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        ("Fees or interest", "Problem with fees"),
        "I returned a faulty mattress under their 100 night trial. They collected it on XX/XX/XXXX. I have not received the refund of {$699.00}. The store card now shows this amount as past due and they are charging me late fees on a product I returned.",
        "GA",
        "30309",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "My refund from Northwind Home was supposed to be credited to my store card. Instead, they applied it as store credit which I never agreed to. I want the money back on my card. {$245.50}.",
        "CA",
        "95814",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "It has been 6 weeks since I returned a set of dining chairs. Northwind Home says refunds can take up to 30 days. It has been 42 days. I have sent them the proof of return three times.",
        "WI",
        "53703",
    ),
    c(
        "refund_missing",
        CHK,
        CHK_SUB,
        DEPOSITS,
        "Northwind Home approved my return and issued a refund according to their email, but the refund was for {$45.00} instead of {$450.00}. They refuse to correct it and say the refund was processed as requested.",
        "IN",
        "46204",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I returned part of my order (a rug) and was told I would receive a partial refund. I got nothing back. When I called, I was placed on hold for 55 minutes and then disconnected.",
        "OR",
        "97205",
    ),
    c(
        "refund_missing",
        CHK,
        CHK_SUB,
        DEPOSITS,
        "Refund not received for order XXXX. The item was returned to the XXXX store on XX/XX/2026. The company says it was refunded to my card ending in XXXX but my bank has no record of it. The company will not give me a refund reference number so my bank can trace it.",
        "OH",
        "45202",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I have been waiting since XX/XX/2026 for a refund of {$1250.00} for a sectional that was returned because it was delivered damaged. Every time I call they ask me to wait another 5-10 business days.",
        "TX",
        "77002",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "The retailer refunded my order to a Northwind Home gift card instead of my credit card. I paid by credit card. I did not agree to this and I do not want a gift card.",
        "NV",
        "89101",
    ),
    c(
        "refund_missing",
        CHK,
        CHK_SUB,
        DEPOSITS,
        "Northwind Home accepted my return of a bed frame (I have the return label and drop off receipt). Their system shows 'return not received'. The carrier tracking shows delivered and signed for. I am out {$389.00}.",
        "MO",
        "63101",
    ),
    c(
        "refund_missing",
        CC,
        STORE,
        ("Fees or interest", "Charged too much interest"),
        "I returned items purchased on my Northwind Home store card. The refund eventually posted, but the interest charged on those items during the weeks it took them to process the return was not reversed. That is {$27.83} in interest on goods I no longer have.",
        "KY",
        "40202",
    ),
    c(
        "refund_missing",
        DEBT,
        "Other debt",
        DEBT_PAID,
        "I am being contacted by a debt collector, XXXX, on behalf of Northwind Home for {$860.00}. This is for a sofa that I returned in XX/XX/2026. I have the return receipt. I sent a dispute letter and they continue calling me 3-4 times a day.",
        "OH",
        "43215",
    ),
    c(
        "refund_missing",
        DEBT,
        "Other debt",
        ("Written notification about debt", "Didn't receive enough information to verify debt"),
        "I received a collection letter from XXXX for a Northwind Home balance of {$312.00}. I do not owe this. The order was canceled and I have the cancellation email. The refund was never posted and the letter did not include any information on how to verify the debt.",
        "TN",
        "37203",
    ),
    c(
        "refund_missing",
        DEBT,
        "Other debt",
        ("Communication tactics", "You told them to stop contacting you, but they keep trying"),
        "A debt collector keeps calling my work about a Northwind Home debt. I told them I returned the items and never got my refund, so the balance is wrong, and I asked them to stop calling me at work. They called again the next day.",
        "PA",
        "15222",
    ),
    c(
        "refund_missing",
        DEBT,
        "Other debt",
        ("False statements or representation", "Attempted to collect wrong amount"),
        "Northwind Home's collection agency says I owe {$1045.17}. The correct balance after my return should be {$0.00}. The return was accepted on XX/XX/2026 but the credit was never applied, and now they are attempting to collect the wrong amount.",
        "SC",
        "29201",
    ),
    c(
        "refund_missing",
        DEBT,
        "Other debt",
        NOT_OWED,
        "The collector reported a Northwind Home debt to the credit bureaus while I had an open dispute with the store about a damaged sofa that I returned. They never refunded it. My credit score dropped 80 points.",
        "AL",
        "35203",
    ),
    # ---- charged for late / never delivered orders ----------------------------------------------
    c(
        "late_delivery",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "I ordered a bedroom set on XX/XX/2026 with my Northwind Home card. It was supposed to be delivered within 2 weeks. It has been over a month and it has not been delivered, but the full {$2150.00} was charged immediately and I am paying interest. I asked to cancel and they told me I cannot cancel because it is 'in transit'.",
        "OH",
        "43017",
    ),
    c(
        "late_delivery",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "Paid for expedited delivery, {$49.00}, and the order arrived 12 days late. Northwind Home refuses to refund the expedited fee. I filed a dispute with the card and it was denied.",
        "TX",
        "78759",
    ),
    c(
        "late_delivery",
        CC,
        STORE,
        NOT_PURCHASED,
        "Northwind Home charged me for a delivery that never came. They missed three scheduled delivery windows and each time I took time off work. I canceled but the charge is still on my card.",
        "GA",
        "30060",
    ),
    c(
        "late_delivery",
        DEBT,
        "Other debt",
        NOT_OWED,
        "Northwind Home sent my store card account to collections over a disputed charge for a table that was never delivered. I canceled the order after it was 6 weeks late. They never refunded the deposit and now a collection agency is reporting it on my credit.",
        "OR",
        "97006",
    ),
    c(
        "late_delivery",
        DEBT,
        "Other debt",
        NOT_OWED,
        "I got a letter saying my account was sent to collections for nonpayment of {$210.00}. That amount is the delivery fee for an order that arrived 3 weeks late, and I was told on the phone that the fee would be waived.",
        "CA",
        "90012",
    ),
    # ---- support / phone service ---------------------------------------------------------------------
    c(
        "support_service",
        CC,
        STORE,
        ("Trouble using your card", "Problem with customer service"),
        "I have spent more than 6 hours on hold with Northwind Home credit card services over the past three weeks trying to resolve a billing error. Representatives transfer me between departments and disconnect the call. One representative told me to stop calling.",
        "NY",
        "10027",
    ),
    # ---- coupon / promotion --------------------------------------------------------------------------
    c(
        "coupon_rejected",
        CC,
        STORE,
        ("Advertising and marketing, including promotional offers", "Didn't receive advertised or promotional terms"),
        "Northwind Home advertised {$100.00} off purchases of {$500.00} or more when opening a store card. I opened the card and the discount was never applied to my purchase. Customer service says the promo code was 'not valid' at the time of purchase, but the ad was on their website that same day.",
        "IL",
        "60614",
        profile="after_checkout",
    ),
    # ---- other store card problems --------------------------------------------------------------------
    c(
        "other",
        CC,
        STORE,
        ("Fees or interest", "Charged too much interest"),
        "I bought a sofa on a 12 months no interest promotion with my Northwind Home card. I paid it off before the end date but I was still charged {$312.67} in deferred interest. The company says my last payment posted one day late but I paid it 3 days before the due date.",
        "OH",
        "43081",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Fees or interest", "Problem with fees"),
        "Late fee of {$41.00} charged even though I have autopay set up. The autopay did not run this month because of a system change on their side.",
        "TX",
        "76102",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Other features, terms, or problems", "Credit limit changed"),
        "Northwind Home card lowered my credit limit without notice from {$3000.00} to {$900.00} and now I am over the limit and being charged an over limit fee.",
        "FL",
        "33131",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Closing your account", "Can't close your account"),
        "I tried to close my Northwind Home store card and they told me I have to do it by mail. I mailed a letter twice. The account is still open and I keep receiving statements with a {$0.00} balance and a paper statement fee of {$2.00}.",
        "WA",
        "98004",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Problem when making payments", "Problem during payment process"),
        "The online payment portal for the Northwind Home card kept giving errors for 3 days so I could not pay my bill on time. I was charged a late fee and they will not remove it even though their site was down.",
        "NC",
        "28202",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Getting a credit card", "Card opened without my consent or knowledge"),
        "I was signed up for a Northwind Home credit card at checkout without my consent. The cashier asked if I wanted to save 15% today and I said no, but a card arrived in the mail two weeks later.",
        "MI",
        "49503",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Fees or interest", "Unexpected increase in interest rate"),
        "The interest rate on my Northwind Home card increased from XX% to 32.99% with no notice that I ever received.",
        "AZ",
        "85281",
    ),
    c(
        "other",
        CC,
        STORE,
        NOT_PURCHASED,
        "My Northwind Home store card statement shows a purchase I did not make at a store in XXXX, a state I have never been to. {$612.00}. I reported it as fraud and they say they need a police report.",
        "GA",
        "31401",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Problem when making payments", "Payment not credited"),
        "I paid my Northwind Home card balance in full but the payment was applied to the wrong account. Now both accounts show problems and I was charged interest.",
        "PA",
        "17101",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Other features, terms, or problems", "Problem with paper statements"),
        "Northwind Home's store card servicer sent my statements to my old address after I updated it online, and I missed a payment because I never got the bill.",
        "MN",
        "55104",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Fees or interest", "Problem with fees"),
        "I made a payment of {$200.00} by phone and the agent charged me a {$9.95} pay-by-phone fee that she did not disclose.",
        "CO",
        "80903",
    ),
    c(
        "other",
        CC,
        STORE,
        ("Getting a credit card", "Problem getting a card or closing an account"),
        "I applied for a Northwind Home store card in the store and was told I was approved with a {$2000.00} limit. Later I got a letter saying I was denied, and there is a hard inquiry on my credit report.",
        "NY",
        "12203",
    ),
    # ---- no narrative (consumer did not consent to publish), as in the real database -----------------
    c(
        "other",
        CC,
        STORE,
        PURCHASE_DISPUTE,
        "",
        "OH",
        "432XX",
        consent="Consent not provided",
        flag="empty narrative (consent not provided)",
    ),
    c(
        "other",
        DEBT,
        "Other debt",
        DEBT_PAID,
        "",
        "TX",
        "",
        consent="Consent withdrawn",
        flag="empty narrative (consent withdrawn)",
    ),
]

# Complaints with deliberately broken fields: index into COMPLAINTS -> override
COMPLAINT_BAD = {
    8: {"bad_date": "02/31/2026", "flag": "bad date (02/31/2026)"},
    27: {"bad_date": "", "flag": "empty Date received"},
    41: {"missing_id": True, "flag": "empty Complaint ID"},
}
for _i, _over in COMPLAINT_BAD.items():
    COMPLAINTS[_i] = {**COMPLAINTS[_i], **_over}

PUBLIC_RESPONSES = [
    "Company has responded to the consumer and the CFPB and chooses not to provide a public response",
    "Company has responded to the consumer and the CFPB and chooses not to provide a public response",
    "Company believes it acted appropriately as authorized by contract or law",
    "Company believes the complaint is the result of an isolated error",
    "",
]

# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _utc_at(rng: random.Random, day: date, at: str | None, lo: int = 7, hi: int = 22) -> datetime:
    if at:
        hour, minute = (int(x) for x in at.split(":"))
    else:
        hour, minute = rng.randint(lo, hi), rng.randint(0, 59)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def build_reviews(rng: random.Random) -> list[dict]:
    rows = []
    for rec in REVIEWS:
        theme = rec["theme"]
        platform, store = rec.get("platform"), rec.get("store")
        if platform is None:
            if theme == "app_login_crash":
                platform = rng.choice(["app_store", "play_store"])
            elif store in US_STORES:
                platform = "yelp"
            elif store:
                platform = "google"
            else:
                platform = "trustpilot" if rng.random() < 0.72 else "google"
        if platform == "google" and not store:
            store = rng.choice(UK_STORES)
        if platform not in ("google", "yelp"):
            store = None
        title = rec["title"] if platform in ("trustpilot", "app_store") else ""
        day = pick_day(rng, theme, rec.get("profile"), rec.get("day"))
        when = _utc_at(rng, day, rec.get("at"))
        rows.append(
            {
                "_rec": rec,
                "_when": when,
                "review_id": "",
                "platform": platform,
                "posted_at": rec["bad_date"] if "bad_date" in rec else when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "stars": rec.get("stars_raw", str(rec["stars"])),
                "title": title,
                "body": rec["body"],
                "store_location": store or "",
            }
        )
    rows.sort(key=lambda row: row["_when"])
    next_id = 40117
    for row in rows:
        next_id += rng.randint(1, 9)
        row["review_id"] = "" if row["_rec"].get("missing_id") else f"RV-{next_id}"
    # The exact-duplicate row: the same export line delivered a second time, at the end of the file.
    dup = next(row for row in rows if row["_rec"].get("flag") == "exact duplicate row")
    rows.append(dict(dup))
    return rows


def build_tickets(rng: random.Random) -> list[dict]:
    rows = []
    for rec in TICKETS:
        theme = rec["theme"]
        tz = ZoneInfo(rec.get("tz", "Europe/London"))
        day = pick_day(rng, theme, rec.get("profile"), rec.get("day"))
        if rec.get("at"):
            hour, minute = (int(x) for x in rec["at"].split(":"))
        else:
            lo, hi = (8, 17) if rec.get("tz", "").startswith("America") else (7, 21)
            hour, minute = rng.randint(lo, hi), rng.randint(0, 59)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        priority = rec.get("priority") or rng.choice(TICKET_PRIORITY[theme])
        row = {
            "ticket_id": None,
            "created": rec["bad_date"] if "bad_date" in rec else local.isoformat(timespec="seconds"),
            "subject": rec["subject"],
            "description": rec["description"],
            "category": rec["category"],
            "channel": rec["channel"],
            "priority": priority,
        }
        rows.append({"_rec": rec, "_when": local.astimezone(UTC), "row": row})
    rows.sort(key=lambda item: item["_when"])
    next_id = 10231
    for item in rows:
        item["row"]["ticket_id"] = f"ZD-{next_id}"
        next_id += rng.randint(1, 6)
        if item["_rec"].get("missing_id"):
            del item["row"]["ticket_id"]
    return rows


COMPLAINT_HEADER = [
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
]


def build_complaints(rng: random.Random) -> list[dict]:
    rows = []
    for rec in COMPLAINTS:
        theme = rec["theme"]
        day = pick_day(rng, theme, rec.get("profile"), rec.get("day"))
        sent = day + timedelta(days=rng.choice([0, 0, 1, 1, 2]))
        if sent > LAST_DAY:
            sent = LAST_DAY
        in_progress = day >= date(2026, 11, 8)
        if in_progress:
            response, public = "In progress", ""
        elif theme in ("double_charge", "refund_missing", "late_delivery", "coupon_rejected"):
            response = rng.choice(
                ["Closed with monetary relief", "Closed with monetary relief", "Closed with explanation"]
            )
            public = rng.choice(PUBLIC_RESPONSES)
        else:
            response = rng.choice(
                ["Closed with explanation", "Closed with explanation", "Closed with non-monetary relief"]
            )
            public = rng.choice(PUBLIC_RESPONSES)
        row = {
            "Date received": rec["bad_date"] if "bad_date" in rec else day.strftime("%m/%d/%Y"),
            "Product": rec["product"],
            "Sub-product": rec["sub_product"],
            "Issue": rec["issue"],
            "Sub-issue": rec["sub_issue"],
            "Consumer complaint narrative": rec["narrative"],
            "Company public response": public,
            "Company": "Northwind Home",
            "State": rec["state"],
            "ZIP code": rec["zip"],
            "Tags": rec.get("tags", ""),
            "Consumer consent provided?": rec.get("consent", "Consent provided"),
            "Submitted via": rng.choice(["Web"] * 8 + ["Referral", "Phone"]),
            "Date sent to company": sent.strftime("%m/%d/%Y"),
            "Company response to consumer": response,
            "Timely response?": "Yes" if rng.random() < 0.94 else "No",
            "Consumer disputed?": "N/A",
            "Complaint ID": "",
        }
        rows.append({"_rec": rec, "_when": datetime(day.year, day.month, day.day, tzinfo=UTC), "row": row})
    rows.sort(key=lambda item: item["_when"])
    next_id = 16203417
    for item in rows:
        next_id += rng.randint(400, 9000)
        if not item["_rec"].get("missing_id"):
            item["row"]["Complaint ID"] = str(next_id)
    return rows


def main() -> None:
    rng = random.Random(SEED)
    reviews = build_reviews(rng)
    tickets = build_tickets(rng)
    complaints = build_complaints(rng)

    review_cols = ["review_id", "platform", "posted_at", "stars", "title", "body", "store_location"]
    with (HERE / "reviews.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=review_cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(reviews)
    with (HERE / "tickets.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for item in tickets:
            handle.write(json.dumps(item["row"], ensure_ascii=False) + "\n")
    with (HERE / "complaints.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COMPLAINT_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(item["row"] for item in complaints)

    print(f"reviews.csv     {len(reviews)} rows")
    print(f"tickets.jsonl   {len(tickets)} rows")
    print(f"complaints.csv  {len(complaints)} rows")
    for name, items in (
        ("reviews", [(r_["_rec"], r_) for r_ in reviews]),
        ("tickets", [(i["_rec"], i["row"]) for i in tickets]),
        ("complaints", [(i["_rec"], i["row"]) for i in complaints]),
    ):
        counts = Counter(rec["theme"] for rec, _ in items)
        print(f"  {name}: " + ", ".join(f"{k}={counts[k]}" for k in THEMES))
    print("flagged rows (data row number is 1-based, header excluded):")
    for name, items, id_key in (
        ("reviews.csv", [(r_["_rec"], r_) for r_ in reviews], "review_id"),
        ("tickets.jsonl", [(i["_rec"], i["row"]) for i in tickets], "ticket_id"),
        ("complaints.csv", [(i["_rec"], i["row"]) for i in complaints], "Complaint ID"),
    ):
        for number, (rec, row) in enumerate(items, start=1):
            notes = [rec["flag"]] if rec.get("flag") else []
            if "bad_date" in rec and not any("date" in n for n in notes):
                notes.append(f"bad date {rec['bad_date']!r}")
            if rec.get("missing_id") and not any("id" in n.lower() for n in notes):
                notes.append("missing id")
            if notes:
                print(f"  {name} row {number}: id={row.get(id_key)!r} theme={rec['theme']}: {'; '.join(notes)}")


if __name__ == "__main__":
    main()
