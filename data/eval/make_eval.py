"""Generate data/eval/cx_eval.csv, the labelled evaluation set of `cx-nlp evaluate`.

All text in this file was written for this project. "Brightline Broadband" (a fictional broadband,
TV and mobile provider) and every name and number in it are made up; none of it was copied from
anywhere. It is deliberately a different business from the retail sample data, so the evaluation
also shows how the pipeline behaves on a domain its default taxonomy was not written for.

Each row carries a gold `sentiment` (negative / neutral / positive) and, for recurring problems, a
gold `issue`; praise, questions and one-off remarks have no issue. Deterministic: a fixed seed and
no clock, so every run writes a byte-identical file.

    .venv/bin/python data/eval/make_eval.py        # writes cx_eval.csv next to this script

Row lines below are `S|text`, S being the gold sentiment: n negative, u neutral, p positive.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261116
# Every row falls in the 27 days before this day, so one 28-day issue window holds all of them and
# the day after (used by the stability check of `cx-nlp evaluate`).
END_DAY = datetime(2026, 11, 16, tzinfo=UTC)
SPAN_DAYS = 27
SENTIMENT = {"n": "negative", "u": "neutral", "p": "positive"}

ISSUES: dict[str, str] = {
    "outage evenings": """
n|Internet drops out every single evening around 7pm and comes back after midnight.
n|Third night in a row the connection has died just as we sit down to stream something.
n|Every evening the broadband cuts out for an hour or two. Mornings are fine. What is going on?
n|Connection keeps going down between 8 and 11 at night, the router lights go orange and nothing loads.
n|We lose internet most nights after dinner. Working from home in the day is fine, it is only evenings.
n|Outage again tonight. That's five evenings this week with no service at peak time.
n|The service is unusable after 6pm, pages time out and the line resyncs over and over.
u|Just reporting that the connection dropped again last night from roughly 9 to 10pm.
n|Can't watch anything in the evening because the broadband disconnects constantly.
n|Kids can't do homework online at night, the Wi-Fi has no internet every evening lately.
n|Status page says no issues in my area but my line goes dead each night like clockwork.
n|Nightly outages for two weeks now and all I get is 'we are aware of a fault'.
u|Noticed the line drops in the evenings, usually for about forty minutes. Is there work in the area?
n|Lost connection in the middle of an online exam at 8pm. This keeps happening at night.
n|Brightline goes down every evening in our street, the neighbours have the same problem.
n|Evenings are a write-off, the broadband falls over as soon as everyone gets home.
n|Connection dies at night, reboot does nothing, then it magically works at 1am.
n|Gaming at night is impossible, the connection cuts out completely several times an hour.
u|The evening dropouts are back since Tuesday, same pattern as last month.
n|Paying for fibre that disappears every night between seven and ten. Not acceptable.
n|Another evening, another outage. I've had more downtime than uptime after work this month.
n|Our internet goes offline each night and the engineer line just tells me to restart the hub.
n|Night time service cuts are ruining my streaming business, I need a stable line after 6.
u|Logging that my broadband was down from 7.30pm until late again, ticket ref ending 4471.
n|Why does the connection only fail in the evening? Four weeks of this and still no fix.
""",
    "double billing": """
n|I've been charged twice for the same month, two identical direct debits left my account.
n|Two payments of 42 pounds came out on the same day. Please refund the duplicate.
n|My bill shows the monthly charge twice. I only have one broadband package.
n|Double billed again! Second time this year you have taken the payment twice.
u|There seem to be two charges for November on my statement, can someone check?
n|Brightline took my direct debit twice this month and now I'm overdrawn.
n|You billed me for my old account and my new account at the same time for the same line.
n|Duplicate payment taken, I was told it would be refunded in 5 days and it's been three weeks.
n|Bank statement shows two debits from Brightline on the 1st, both for the full amount.
u|I think I've been billed twice, the invoice lists the line rental on two separate rows.
n|Charged twice after I upgraded my package, the old plan was never stopped.
n|Two bills, same period, same amount. Support admits the error but nothing has been refunded.
n|Money taken twice from my card for one payment, and the app only shows one.
n|Every month since moving house I get billed for both addresses.
u|Query about a possible double charge on my latest invoice, reference on the account.
n|You've taken payment twice and the second one bounced other bills. I want compensation.
n|Got two invoices for October and both were paid by direct debit. Sort it out please.
n|The billing system charged me twice for the TV add-on.
n|Second duplicate charge in three months. How is this still happening?
n|I paid by card and you also took the direct debit, so I paid the same bill twice.
u|Seeing two identical transactions from Brightline, one on the 2nd and one on the 3rd.
n|Overcharged: my account was debited twice and I had to borrow money to cover rent.
n|Was double charged, called, promised a refund, never arrived. Called again, no record of it.
n|Duplicate billing for the mobile SIM I bundled. Please stop taking two payments.
""",
    "engineer no-show": """
n|Took a day off work for the installation and the engineer never turned up.
n|Engineer was booked for 8 to 1, nobody came and nobody called.
n|Second missed appointment. I waited in all day for a technician who didn't show.
n|Install date came and went, no engineer, no text, no explanation.
u|The technician did not attend the appointment today, please rebook me for next week.
n|Nobody showed up for my fibre installation despite the confirmation email yesterday.
n|Waited from 7am to 6pm for the engineer. Rang at 5 to be told the job had been cancelled.
n|The repair visit was missed again, that's three no-shows for one fault.
n|Your engineer didn't arrive, and now the next slot is in three weeks.
n|Moved into a new flat with no internet because the install engineer failed to turn up twice.
n|Booked annual leave for the engineer visit. No show. Absolutely furious.
u|Engineer appointment for the line fault was not kept, I'm still waiting for someone to come out.
n|I was told a technician would come between 12 and 6. He never came and the app says completed.
n|They marked my installation as done but no one ever came to the house.
n|Missed engineer appointment, then they charged me a missed appointment fee. Unbelievable.
n|No technician, no call, no apology. Just a text saying 'we're sorry we missed you' when I was home all day.
n|Third rescheduled install and still nobody has turned up to connect us.
u|Engineer didn't make it today. Could you let me know the new date?
n|The installer was a no-show and I've been without broadband for two weeks now.
n|They cancelled my engineer visit on the morning itself after I'd taken the day off.
n|Engineer was supposed to fix the wiring on Thursday, nobody appeared.
n|Two days off work wasted waiting for Brightline engineers who never come.
n|Appointment confirmed three times and still no engineer at my door.
""",
    "slow speeds": """
n|Paying for 500Mb and getting 30 at best. Speed tests attached.
n|Broadband is painfully slow, pages take ages to load and video buffers constantly.
n|Download speed is a fraction of what was promised when I signed up.
n|The speeds are awful, 8 Mbps on a plan sold as 'up to 150'.
u|My speed test shows about 40 down, my contract says 200. Can this be looked at?
n|Internet crawls all day. Zoom calls freeze and uploads take forever.
n|Speeds have dropped massively since the upgrade, slower than my old ADSL.
n|Can barely stream in HD, everything buffers. Not what I was sold.
n|Upload speed is under 1Mbps, I can't send files for work.
n|Sluggish connection even with a cable straight into the router.
u|Speeds seem lower than the minimum guaranteed speed, what are my options?
n|Ridiculously slow broadband for the price. A 2GB download takes an hour.
n|Speed is consistently below the guaranteed minimum and support say it's 'within range'.
n|Fibre package that performs like dial-up. So slow.
n|Web browsing is slow even on a wired laptop, speed tests show 12Mb.
n|My mobile data is faster than your home broadband.
u|Latest speed test 22Mbps down, 2 up. Package is Fibre 300. Logging for the record.
n|The line is slow all the time now, not only in the evenings.
n|Downloads stall, games take a day to update. These speeds are a joke.
n|Slow, slow, slow. Every device in the house is crawling.
n|Since the switch to the new exchange my speeds have halved.
n|Throughput is terrible, barely 10% of the advertised speed.
n|Speed has been poor from day one and I want out of the contract.
n|Promised ultrafast, got ultraslow.
""",
    "router faulty": """
n|The router keeps rebooting itself every few minutes.
n|Hub is faulty, the power light flashes red and it won't connect to anything.
n|Brand new router died after two weeks. Now I need to wait for a replacement.
n|Wi-Fi from the Brightline hub barely reaches the next room, the box seems defective.
u|The router's wireless light has gone out and only wired connections work.
n|Router overheats and switches off. It's too hot to touch.
n|Hub 4 keeps dropping the Wi-Fi and forgetting all my settings after each restart.
n|Replacement router is just as faulty as the first one.
n|Router stuck on a flashing orange light, factory reset did nothing.
n|My router's ethernet ports have stopped working, so the TV box is offline.
u|Requesting a router swap, the current unit disconnects every device every hour.
n|The supplied hub is junk. Constant restarts, random disconnections.
n|Router has a rattling noise and the Wi-Fi vanishes whenever it gets warm.
n|Wi-Fi network disappears from all devices until I power cycle the router.
n|The router you sent was clearly refurbished and broken, it never got a stable connection.
n|Hub firmware update bricked my router. Now nothing works at all.
u|The router display shows an error code and won't get past booting.
n|Had to buy my own router because yours kept crashing.
n|Third hub in six months. They all fail the same way.
n|The modem loses sync and reboots itself whenever someone makes a phone call.
n|Faulty router, and they want me to pay postage to send it back.
n|Router power supply is dead, no lights at all this morning.
n|The Wi-Fi 6 router won't stay on 5GHz, it drops the band constantly.
""",
    "long hold times": """
n|On hold for an hour and forty minutes before someone answered.
n|Called customer service three times, waited over an hour each time, gave up.
n|Your phone line is a joke, 90 minutes on hold listening to the same song.
n|Hold times are insane. I just want to report a fault.
u|Wait time on the support line was about 70 minutes today.
n|Spent my whole lunch break in the phone queue and never got through.
n|Got cut off after 55 minutes on hold, had to start again at the back of the queue.
n|Live chat says I'm number 84 in the queue. It's been like that for an hour.
n|It takes forever to reach a human at Brightline.
n|Waiting times on the helpline are unacceptable, two hours yesterday.
u|Tried to call support but the queue was over an hour, please call me back instead.
n|The automated system kept me in a loop and then put me on hold for 80 minutes.
n|You can't get through to anyone. Hold, hold, hold, then disconnected.
n|Queue message says high call volumes every single day. Hire more staff.
n|Phoned to cancel, was kept waiting 2 hours. Feels deliberate.
n|Callback was promised within 24 hours, still waiting four days later after another hour on the phone.
n|The chat agent took 40 minutes to reply to each message.
n|I have been on hold while writing this review. 73 minutes and counting.
u|Customer service queue times were long, roughly an hour before being connected.
n|Worst customer service wait I've ever experienced.
n|Waited so long on the phone that my mobile battery died.
n|An hour on hold to be transferred to another department and another hour on hold.
n|Nobody answers the phone at Brightline. Literally nobody.
""",
    "price rise": """
n|My monthly bill went up by 8 pounds with no warning.
n|Another mid-contract price rise. I signed up for a fixed price.
n|Bill jumped from 35 to 47 a month. Nobody told me the price was going up.
n|Prices keep increasing every April and the service gets worse.
u|I've noticed my monthly cost increased this month, could you explain the new price?
n|The annual price hike is ridiculous, 14% this year.
n|The introductory offer ended and my bill almost doubled overnight.
n|You raised the price again. That's three increases in two years.
n|Price increase letter arrived the day after the bill went up. Too late to complain.
n|Why is my broadband suddenly 10 pounds more expensive? Same package, same speed.
u|The new tariff is more expensive than the one I was quoted, please check.
n|Out-of-contract pricing is a rip-off. Loyal customers pay the most.
n|They've put the price up in the middle of my contract and call it inflation.
n|Monthly fee has crept up to nearly 60 pounds. Too expensive for what it is.
n|Can't afford another price rise. The bill is already more than my phone contract.
n|So the price goes up but the speed goes down. Great.
u|Just checking whether the price rise applies to the TV bundle as well.
n|Hidden increase: the line rental went up without any email or letter.
n|New customers get half price while existing ones get a price hike.
n|Bill increased again this month, nobody asked me.
n|I was promised my price was locked for 24 months and it's already gone up.
n|Annual price rise plus a new 'service fee'. No thanks.
n|The cost keeps going up every year, I'm looking at other providers.
""",
    "cancellation fees": """
n|Charged a 180 pound early termination fee even though the service never worked.
n|They want a huge exit fee to leave a contract for a connection that doesn't work.
n|Cancelled after moving abroad and got hit with a cancellation charge anyway.
n|The termination fee was never mentioned when I signed up.
u|How much is the early cancellation fee if I leave in month 14 of 18?
n|I cancelled within the cooling-off period and still got charged a fee.
n|Debt collectors chasing me for a cancellation fee I was told had been waived.
n|Billed for two months after cancelling plus a 'leaving fee'.
n|To cancel I must pay the rest of the contract. For a service that drops daily!
n|Exit fees to leave because of your price rise? That should be free.
u|Asking for the final bill after cancellation, it includes a fee I don't recognise.
n|Cancellation penalty of 240 pounds. Absolute scam.
n|I was bereaved and still charged an early termination fee on my mum's account.
n|They charged me for not returning the router after I had already returned it, on top of the exit fee.
n|Trying to leave Brightline costs more than staying. Crazy cancellation charges.
n|Was told cancellation was free because of the faults. Then the final bill had a fee.
n|Still being billed after cancelling and now a termination charge too.
u|Please confirm if the early exit fee applies when moving to an area you don't cover.
n|Charged a disconnection fee when you were the ones who couldn't provide service.
n|The cancellation process is designed to trap you with fees.
n|Final invoice has an unexplained 95 pound cancellation fee.
n|You can't leave without paying a fortune in fees. Never again.
""",
    "app login": """
n|The Brightline app logs me out every time I open it.
n|Can't sign in to the app since the last update, it says my password is wrong.
n|App crashes on the login screen. Tried reinstalling twice.
n|The account app won't accept my password even after resetting it.
u|Unable to log into the My Brightline app today, it shows an error 502.
n|Password reset link in the app just loops back to the sign in page.
n|The app is useless, I can't get past the login to check my bill.
n|Face ID login stopped working in the app and the password option fails too.
n|Two-factor code never arrives so I can't log in to my account.
n|App freezes as soon as I hit sign in.
u|The app asks me to verify my email every time I log in, is that expected?
n|Since the update the app won't let me log in on Android.
n|Locked out of my online account for a week, the login page keeps erroring.
n|The website and the app both reject my login details.
n|Can't access my account in the app to report the outage, which makes it worse.
n|App keeps saying 'session expired' the second I log in.
n|I've reset my password four times and the app still says invalid credentials.
u|Login to the app fails on iPhone but works on the website.
n|Terrible app. Login broken for days.
n|The new app version signs me out and then won't sign me back in.
n|Spinning wheel forever on the app's login screen.
n|Verification code expired before it even arrived, so no app access.
""",
}

# Praise, questions and one-off remarks: no recurring issue.
NO_ISSUE = """
p|Installation was quick and the engineer was really friendly and tidy.
p|Fast, reliable broadband. Haven't had a single dropout since joining.
p|The support agent sorted my problem in ten minutes, really impressed.
p|Great speeds, easily getting what I pay for.
p|Switching to Brightline was painless and the price is fair.
p|The new router has much better range than my old one.
p|Very happy with the service, streaming 4K without any buffering.
p|Engineer explained everything and set up the Wi-Fi on all our devices.
p|Lovely helpful staff in the Brightline shop on the high street.
p|Really good value bundle, TV and broadband for less than I was paying before.
p|Fibre is brilliant, the whole family can be online at once.
p|Customer service were polite and patient with my elderly dad.
p|App is handy for checking my data usage and paying bills.
p|Connection has been rock solid for months.
p|The technician turned up early and was done in under an hour.
p|Super easy to upgrade my package online.
p|Thank you to Priya in the Leeds store for sorting out my new SIM.
p|Gaming latency is excellent, very low ping.
p|Best broadband provider I've had in years.
p|Quick response on live chat and the issue was fixed the same day.
p|Moving house was simple, the line was live on the day we moved in.
p|Good speeds, fair price, no complaints.
p|The loyalty discount they offered when I called was a nice surprise.
p|Clear bills and no surprises so far.
p|The mesh Wi-Fi booster fixed all our dead spots.
p|Impressed with how smooth the switch from my old provider was.
p|Working from home is so much easier with this connection.
p|Really pleased, the speed is consistently above what was promised.
p|Friendly engineer, neat cable work, would recommend.
p|The store team helped me pick the right plan without any hard sell.
p|Setup instructions were clear and the hub worked first time.
p|Five stars, reliable and fast.
p|Got a goodwill credit after a short outage without even asking.
p|Excellent upload speeds for my video editing.
p|Very smooth experience from order to activation.
p|Helpful advice on the phone about parental controls.
p|My parents love the simple TV box.
p|Decent service overall and the app works well for me.
p|Everything has worked perfectly since day one.
p|The new plan is cheaper and faster, what's not to like.
p|Polite staff at the store, in and out in five minutes.
p|Tech support walked me through the router settings patiently.
p|Great coverage in our village, finally decent internet.
p|Billing is clear and the direct debit always goes out on the right day.
u|Does the Fibre 500 package include a landline?
u|Can I move my service to my new address next month?
u|What is the difference between the Hub 4 and the Hub 5?
u|I'd like to add a second mobile SIM to my account.
u|Is there a student discount available?
u|How do I change the name of my Wi-Fi network?
u|Please update my contact email address on the account.
u|Do you offer static IP addresses for home customers?
u|What time does the Manchester store open on Sundays?
u|I'm thinking of adding the sports channels, how much would that be?
u|Can I pay my bill by bank transfer instead of direct debit?
u|Is full fibre available on my street yet?
u|Could you send me a copy of my contract terms?
u|I want to know whether my router supports Wi-Fi 6.
u|Need an invoice with the company name for my expenses.
u|How long does a number port from another mobile network take?
u|Where can I find my account number?
u|Received a letter about a network upgrade in my area, what does it mean for me?
u|Service is okay, nothing special but it does the job.
u|Average broadband, average price.
u|Is there an option to pause the TV package while I'm travelling?
u|Do you recycle old routers if I drop them at a store?
u|Can my landlord's consent form be signed electronically?
u|I'd like to book a home visit to install a Wi-Fi extender.
n|The sales rep at the door was pushy and wouldn't take no for an answer.
n|The TV box remote stopped working and the replacement has not come.
u|My neighbour says the street cabinet was open all weekend, just letting you know.
n|The store was out of stock of the phone I reserved online.
"""

SOURCE_KINDS = ["review", "review", "review", "ticket", "ticket", "complaint", "survey"]
RATINGS = {"negative": [1, 1, 1, 2, 2], "neutral": [2, 3, 3, 3, 4], "positive": [4, 5, 5, 5]}


def parse(block: str) -> list[tuple[str, str]]:
    rows = []
    for line in block.strip().splitlines():
        code, text = line.split("|", 1)
        rows.append((SENTIMENT[code], text.strip()))
    return rows


def build(
    issues: dict[str, str] = ISSUES,
    no_issue: str = NO_ISSUE,
    seed: int = SEED,
    end_day: datetime = END_DAY,
    id_prefix: str = "BL",
) -> list[dict]:
    """Rows of a labelled set: shuffled with `seed`, dated over the SPAN_DAYS before `end_day`.

    make_eval_skewed.py builds the second set with its own texts, seed, day and prefix."""
    rng = random.Random(seed)
    labelled = [(issue, s, t) for issue, block in issues.items() for s, t in parse(block)]
    labelled += [("", s, t) for s, t in parse(no_issue)]
    rng.shuffle(labelled)
    rows = []
    for number, (issue, sentiment, text) in enumerate(labelled, start=1):
        kind = rng.choice(SOURCE_KINDS)
        # Tickets and complaints carry no star rating, as in a real export.
        rating = rng.choice(RATINGS[sentiment]) if kind in ("review", "survey") else ""
        created = end_day - timedelta(days=SPAN_DAYS) + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        rows.append(
            {
                "id": f"{id_prefix}-{number:04d}",
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source_kind": kind,
                "rating": rating,
                "text": text,
                "sentiment": sentiment,
                "issue": issue,
            }
        )
    rows.sort(key=lambda r: (r["created_at"], r["id"]))
    texts = [r["text"] for r in rows]
    duplicates = sorted({t for t in texts if texts.count(t) > 1})
    if duplicates:
        raise SystemExit(f"duplicate texts: {duplicates}")
    return rows


def write(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rows = build()
    write(rows, HERE / "cx_eval.csv")
    issues = Counter(r["issue"] or "(none)" for r in rows)
    sentiments = Counter(r["sentiment"] for r in rows)
    print(f"{len(rows)} rows; sentiment {dict(sorted(sentiments.items()))}")
    for issue, count in sorted(issues.items()):
        print(f"  {issue:<20} {count}")


if __name__ == "__main__":
    main()
