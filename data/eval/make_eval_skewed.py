"""Generate data/eval/cx_eval_skewed.csv, a second labelled evaluation set for `cx-nlp evaluate`.

All text in this file was written for this project. "Parcelly Eats" (a fictional food-delivery app)
and every name, place and number in it are made up; none of it was copied from anywhere. Its
taxonomy is data/eval/fooddelivery_touchpoints.yaml.

Where cx_eval.csv (make_eval.py) is deliberately clean, nine issues of equal size, this set has the
shape of real feedback: sixteen recurring issues whose sizes fall off roughly like Zipf's law
(60, 38, 28, 22, 18, 15, 13, 12, 10, 9, 8, 8, 7, 6, 6, 6), several of them close but distinct
problems on the same touchpoint (a late courier and a courier who cannot find the address; a missing
item and a wrong order; a refund not received and a refund refused), about one row in ten that also
mentions a second, minor thing, and 134 rows with no issue: praise, questions and one-off complaints
that do not recur. 400 rows in all.

Each row carries a gold `sentiment` (negative / neutral / positive) and, for recurring problems, a
gold `issue`. Deterministic: a fixed seed and no clock, so every run writes a byte-identical file.

    .venv/bin/python data/eval/make_eval_skewed.py   # writes cx_eval_skewed.csv next to this script

Row lines below are `S|text`, S being the gold sentiment: n negative, u neutral, p positive. Rows
are shuffled, dated, rated and written by make_eval.py's `build` and `write`, with this set's seed,
day and id prefix.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_eval  # noqa: E402  (the sibling generator script)

SEED = 20261214
# As in make_eval.py: every row falls in the 27 days before this day, so one 28-day issue window
# holds all of them and the day after (used by the stability check of `cx-nlp evaluate`).
END_DAY = datetime(2026, 12, 14, tzinfo=UTC)
# The exact issue sizes this set is built to have; main() refuses to write anything else.
SIZES = (60, 38, 28, 22, 18, 15, 13, 12, 10, 9, 8, 8, 7, 6, 6, 6)
NO_ISSUE_ROWS = 134

ISSUES: dict[str, str] = {
    "courier late": """
n|Ordered at 7:10, food showed up at 8:45. The app said 25-35 minutes.
n|Late again, obviously.
n|ETA kept jumping from 20 min to 40 to an hour. The courier was just circling somewhere across town.
n|Waited nearly two hours for a pizza from a place 1.5 km away. Never again.
n|Why does the tracker say 'arriving now' for 35 minutes straight??
n|driver picked up my food and then dropped off 3 other orders first, mine came last and stone cold
n|My lunch break is 45 minutes. The order took 70. I ate at my desk at 2pm, thanks Parcelly.
n|The estimated time means nothing. Said 30 min, took 80.
u|Order #88213 arrived about 50 minutes after the promised time, just flagging it.
n|According to the map the courier sat outside the restaurant for 25 minutes before even moving.
n|It's ALWAYS late on Friday nights. Every. Single. Friday.
n|The kids were starving and in tears by the time dinner turned up, an hour and a quarter after we ordered.
n|I paid for Priority delivery and it still came 40 minutes behind schedule. What am I paying extra for?
n|The delivery window was 6:30-6:45 and the doorbell went at 7:40.
u|Is there a reason deliveries to Eastfield are taking over an hour lately? Three orders this week, all slow.
n|So slow. Gave up and made toast.
n|Delays on every single order this month, I don't know what changed but it's bad.
n|The rider stopped at a petrol station for 15 minutes with my food on his back. I watched it happen on the map.
n|Took 95 minutes. The restaurant is around the corner, I could have walked there and back five times.
n|Forever to get my sushi. when it finally came the rice was hard and the courier didnt even say sorry
n|Ordered breakfast, received brunch. Cute, but no.
n|So we had my partner's parents over for the first time and I thought I'd be clever and order in rather than cook, timed it all for 7, told everyone dinner at 7, and then the food turned up at quarter past eight while we all sat there making small talk. Embarrassing doesn't cover it.
u|Hi, my order has been "on the way" for 55 minutes. Can you check where the courier is?
n|Late delivery yet again, the estimate is pure fiction at this point.
n|A forty-five minute wait turned into an hour and a half. No notification, no apology, nothing.
n|Not sure why the app bothers with estimates. Mine said 8:05, it came at 9:10.
n|Super delayed. Soggy fries, flat coke. Come on.
n|I get that it's raining but 2 hours for a burrito is ridiculous.
n|Courier was assigned, unassigned, reassigned. My food finally left the restaurant 50 min after I paid.
u|Delivery came roughly 30 minutes past the estimate. Food fine otherwise.
n|Third tardy order in a row. I'm switching apps.
n|Parcelly used to be quick. Now every delivery drags on for an hour plus.
n|Waited and waited. The little scooter icon didn't budge for 20 minutes.
n|Ordered soup when I was sick. It turned up 1h40 later. I had already fallen asleep.
n|Delivery time estimates are a joke, it added 25 minutes twice while I watched.
n|My coffee order took 50 mins. Coffee. It was iced by the time it got here and it wasn't meant to be.
n|Why promise 20 minutes when you know it'll be an hour?
u|What is the usual delay at lunchtime in the city centre? Every order is reaching me very late.
n|Super late, and when I complained the support agent just gave me a 2 dollar voucher. Insulting.
n|The restaurant told me on the phone my order was ready at 6:50 and no one collected it until 7:35.
n|The rider took a massive detour, the map showed him heading the opposite way for ages.
n|Late late late. Cold cold cold.
n|I had to leave for my shift before the order came. It turned up an hour overdue to an empty house.
n|At this point I just assume it'll take double whatever the app says.
n|Slowest delivery service in town, honestly.
n|Birthday dinner ruined because the cake and mains came 70 minutes after the slot.
u|The order arrived, but quite a bit later than the ETA shown at checkout (about 40 min).
n|Over an hour for food from 2 streets away. Unacceptable.
n|The courier kept stopping at other restaurants to grab more orders while mine sat in his bag.
n|ETA: 12 mins. Actual: 58 mins. Every time.
n|Hungry, annoyed, and still waiting. Order placed at 12:15, it's now 1:30.
n|The hold-ups are constant and there's never any explanation in the app.
u|FYI my last 4 deliveries have all come in 20-40 minutes after the estimated time.
n|My groceries took 3 hours to arrive, the ice cream was liquid.
n|you guys are so slow it's almost impressive
n|Came an HOUR late and the driver acted like it was my fault for living on the 4th floor.
n|The 'fast delivery' badge on that restaurant is false advertising, it took ages.
n|Promised by 8, arrived at 9:20. We'd already ordered pizza from somewhere else.
n|It's getting worse every week. Orders used to take 30 min, now never under an hour.
n|Patience is a virtue but 100 minutes for noodles is too much. The app is also asking me to rate the courier five times a day, stop it.
""",
    "missing item": """
n|No fries in the bag. Paid for fries.
n|My drink was missing again.
n|Ordered 3 burgers, got 2.
n|The garlic bread wasn't in the order, and it was the bit my son actually wanted.
n|Half my order didn't come. Two mains and the dessert simply weren't there.
u|The side salad from my order wasn't included, could I get that refunded?
n|Missing the dips. Every. Time. Do restaurants even read the order?
n|Opened the bag: no naan, no rice. Just two curries. What am I meant to do with that? I rang the restaurant and they swore it was all packed, the app says contact the restaurant, the restaurant says contact the app, and meanwhile I'm eating curry with a spoon and some bread from the freezer.
n|Things keep vanishing from my orders at Lucky Wok, this is the third time.
n|The order came without the kids' meals so the children had nothing to eat.
u|Just a note that the sauces I paid for ($1.50 extra) weren't in the bag.
n|Where's my dessert?? Receipt says tiramisu, bag says no.
n|Incomplete order again. One of the two pizzas never showed up.
n|The bag was sealed but the chicken wings weren't in it, so the restaurant forgot them.
n|Forgot my bubble tea. The whole reason I ordered.
n|You left out the main dish and sent the sides. Brilliant.
n|Got everything except the one thing i actually cared about, the cheesecake
u|Item not received: 1x vegetable spring rolls, order #55021.
n|Short-changed on my grocery order, four products absent and the app says all delivered.
n|No cutlery, no napkins, and no second burrito. Great.
n|Third order this month with something left out. I now check the bag in front of the courier.
n|The drinks were on the receipt but nowhere to be found in the bag.
n|Was charged for extra cheese and a cookie, neither arrived.
n|Stuff missing and the courier had gone before I even opened the bag.
u|Hello, my order arrived without the soup. Everything else was fine.
n|They skipped half my order, I only got the rice.
n|The app made me upload a photo to prove something was missing. How do I photograph something that isn't there?
n|Family meal for 4 came with food for about 2. No large fries, no nuggets and one drink short.
n|Seriously how do you forget the pizza in a pizza order. Only the garlic dip came.
n|I'm tired of reporting missing sauces, it happens every other week.
u|Received 5 of the 6 items I ordered, the lemonade was not there.
n|No dumplings. I ordered dumplings. There were no dumplings.
n|Missing item AND the delivery was late. Fantastic evening.
n|Paid for two coffees, received one. Small thing but it adds up.
n|Only one bag of groceries out of three ever reached me.
n|The burger came, the meal didn't. No fries, no drink, though I paid for the combo.
u|Partial order received. One portion of pad thai is missing.
n|Something is always absent when I order from this restaurant through Parcelly, never when I go in person. Also the app logged me out twice while I was reporting it.
""",
    "food cold": """
n|Food was cold.
n|Pizza arrived lukewarm at best, the cheese had set solid.
n|Everything was stone cold and the fries were limp.
n|My ramen was room temperature. Ramen!
n|Cold curry, cold rice, cold naan. Had to microwave the lot.
u|The food was not hot on arrival, it seemed to have been sitting for a while.
n|Why is my food always cold when it arrives from Parcelly but hot when I collect it myself?
n|Burgers were freezing, like they'd been in a fridge.
n|Not even warm. Not even slightly.
n|Hot food should be hot. This was tepid and greasy.
n|The steak was chilled through and the sauce had a skin on it.
n|Fries cold and soggy, burger cold, only the milkshake was the right temperature lol
u|Food came a bit cold this time, does the courier have an insulated bag?
n|Had to reheat my entire order again. Your delivery bags clearly don't keep anything warm.
n|cold food AGAIN. what is the point of delivery if i have to cook it myself after
n|The soup was barely warm and had separated.
n|Disappointing: the noodles had gone cold and clumped together.
n|Tacos arrived cold and the tortillas had gone rubbery.
u|My order arrived at room temperature. Not sure if it was the restaurant or the delivery.
n|Chilly food, warm drinks. Exactly the opposite of what I wanted.
n|The lasagne was icy in the middle and the courier didn't have a thermal bag, just a plastic carrier.
n|Everything tasted fine but none of it was hot, which ruins fried chicken.
n|I live 5 minutes from the restaurant and the food still turns up cold. How?
n|The pho broth was lukewarm. Pho needs to be scalding.
n|Stone-cold pizza, 25 dollars. Nope.
u|Second time this week my meal has been cold on arrival.
n|Ordered hot wings, got cold wings.
n|Cold dinner, and the driver was on his phone the whole time and barely looked at me.
""",
    "refund not received": """
n|Still no refund for my missing order from two weeks ago.
n|You approved a refund on the 3rd. It's the 19th. Where is my money?
n|The app says refund issued, my bank says nothing received.
u|Could you confirm when the refund for order #60117 will reach my card? It was approved 10 days ago.
n|Refund promised 'within 3-5 business days'. That was three weeks ago. I've checked my banking app every morning since, I've sent the order number twice, I've even sent a screenshot of the message where your own agent confirms it, and I still haven't seen a cent of it back.
n|I'm owed $42 and every time I ask I get told to wait a few more days.
n|refund still pending. been 12 days
n|Got an email saying I'd been reimbursed. I haven't. My bank statement proves it.
n|My refund apparently went to 'Parcelly credit' instead of my card, I never agreed to that and I can't see the credit anywhere either.
n|Waiting on my money back for a cancelled order since last month. Support keeps sending the same copy-paste reply.
u|Following up on a refund that was approved but hasn't shown up yet.
n|Where is my refund?!
n|The restaurant cancelled my order, you kept my money, and the refund is nowhere to be seen.
n|The refund status has said 'processing' for 18 days.
n|I was told the money went back on Monday. It's Friday and my account shows nothing.
n|Three chats, three promises, zero refund.
u|I haven't received the $17.80 I was promised back yet. Is there a reference number I can give my bank?
n|It takes you 2 seconds to charge me and a month to pay me back.
n|My refund hasn't arrived and now the chat says there's no record of it. I have the screenshot!
n|Reimbursement for the wrong order last week still missing from my account.
n|I am still out of pocket for an order that never came. No refund after 20 days, and the delivery fee on that order was higher than shown too.
n|An agent approved the refund but it was apparently never actually sent. Very poor.
""",
    "courier cannot find address": """
n|Courier called me 4 times saying he couldn't find my building. It's on the map!
n|The driver went to the wrong street and then cancelled the delivery.
n|My delivery notes clearly say 'blue door, flat 3B', and the courier still couldn't find it.
n|The rider ended up at the back entrance of the complex and gave up.
u|The courier seemed to struggle to find my address, maybe the map pin is off? It's 14 Harlow Close.
n|Why can't your drivers find a house with a number on it?
n|Courier got lost, phoned me, couldn't follow my directions, and left the food at the shop downstairs.
n|Pin was right, address was right, and the courier still wandered around the estate for 20 minutes.
n|They took it to number 41 instead of 14. The neighbour brought it round an hour later.
n|Every new driver gets lost at our block. I put a note in the app, nobody reads it. The entrance is round the side next to the bike racks, it's literally written in the delivery instructions, but they always end up at the locked front doors and ring me from there, annoyed, as if I moved the building.
u|The courier couldn't locate the entrance. Is there a way to add a landmark to my address?
n|Driver rang saying "where are you" three times, I was standing outside on the pavement waving.
n|My food toured the whole neighbourhood before the courier found my door.
n|GPS sent the rider to the old industrial site. My address has been the same for 6 years.
n|The courier couldn't find the office and marked the order as undeliverable. I was sitting in reception!
n|The directions in my profile are ignored every time. Drivers keep going to the wrong gate.
u|The courier had trouble finding our place again, the app shows the pin a block away from where it should be.
n|Lost courier, cold food, angry me.
""",
    "wrong order delivered": """
n|Got someone else's order. Their name was on the bag.
n|I ordered a vegan bowl and received a meat feast pizza. Not even close.
n|Wrong order entirely. Now I'm eating a stranger's tacos.
u|The bag I received was labelled for a different customer, 'Marcus'. I haven't received mine.
n|As a vegetarian, getting a bag full of chicken instead of what I ordered is not OK.
n|Completely different food delivered, not a single item was what I chose.
n|This was not my order. Different restaurant even.
n|Received someone else's groceries: cat food and beer. I don't have a cat.
n|They swapped my order with another one, I guess someone out there got my curry.
u|I think there was a mix-up, the receipt on the bag has a different order number to mine.
n|Wrong meal. Again. Second mix-up in a month.
n|The courier handed me a bag for flat 12, I'm flat 21. He'd already left by the time I checked.
n|ordered sushi got burgers?? how
n|My daughter has a nut allergy and you sent us another family's dinner with satay in it. Scary.
n|Wrong order, and then the support bot told me to 'enjoy your meal'.
""",
    "app crash at checkout": """
n|App crashes every time I tap 'Place order'.
n|Can't check out, the app closes itself on the payment screen.
n|Tried to order 5 times, the app froze at checkout each time.
u|On Android 14 the app crashes when I get to the checkout page. Cleared the cache, same thing.
n|Latest update broke paying. Spinning wheel, then it shuts down.
n|The app dies as soon as I confirm the basket. Had to order from a competitor.
n|Whole app freezes when I try to pay. Completely unusable.
n|basket > checkout > crash. every time since tuesday
n|I've reinstalled twice. It still crashes right before payment.
u|Getting a white screen and then the app quits when I press 'Continue to payment' on iPhone.
n|Why does the app crash at the exact moment I want to give you money?
n|The checkout page won't load and the app force-closes. Lost my basket too, and the promo I'd entered.
n|Your app went down mid-checkout and I had no idea if the order went through. It hadn't. Dinner delayed an hour.
""",
    "promo code rejected": """
n|Promo code WELCOME15 says invalid. It's from your own email!
n|Discount code won't apply at checkout.
n|The voucher you sent me as an apology doesn't work.
u|The code FRIDAY20 shows 'not eligible' for my order, but it meets the minimum. Any idea why?
n|Got an offer in the newsletter and the app rejects it every time. Bait and switch.
n|Entered the referral code three times, 'this code cannot be used'.
n|Coupon expired the same day it was sent. Come on.
n|Your 50% off first order code doesn't work, and I am literally a first-time customer.
n|Promo rejected, no explanation. Just a red error message.
u|Is the free delivery code still valid? It isn't applying for me.
n|Tried the student discount, it says not applicable to this restaurant. Which restaurants then? The app also took ages to load the menu.
n|The advertised money-off never applied, I ended up paying full price.
""",
    "chatbot no human": """
n|The support chat is a bot that goes in circles. I just want a human.
n|Typed 'agent' ten times, the bot keeps showing me the FAQ.
n|There is no way to actually talk to a person at Parcelly.
u|How do I reach a real support agent? The chat assistant only offers the same three options.
n|Your chatbot is useless. It 'resolved' my issue without doing anything.
n|Stuck in a loop with the help bot for 30 minutes over a missing drink.
n|No phone number, no email, just a robot that doesn't understand anything.
n|the chat assistant closed my conversation while I was still typing
n|Had a problem with my order and the automated help just kept saying "we're sorry to hear that".
u|Is there a phone line for customer service? The in-app chat never hands me over to a person.
""",
    "delivery fee higher than shown": """
n|Delivery fee said $1.99 on the restaurant page and $5.49 at checkout.
n|Fees magically increased between adding to basket and paying.
n|The 'small order fee' and 'service fee' appeared only at the final step. Sneaky.
u|Why was I charged a $4.99 delivery fee when the listing said free delivery?
n|The advertised delivery cost is never what I end up paying.
n|Hidden charges. The total was almost double the food price, and the restaurant forgot the napkins as usual.
n|Charged a busy-time surcharge with no warning. The price on the menu page was way lower.
n|Shown $2 delivery, charged $6. That's not a rounding error.
u|The delivery charge on my receipt doesn't match what the app displayed when I picked the restaurant.
""",
    "marked delivered not received": """
n|App says delivered. Nothing at my door. Nothing in the lobby.
n|Order marked as delivered 20 minutes ago. I've been home the whole time and no one came.
n|The courier marked it complete and disappeared with my food.
u|My order shows 'Delivered' but I didn't receive it. There's a photo of a door that isn't mine.
n|Never got my order, yet the status says it was handed over to me. Handed to who?
n|Delivered my foot. Nobody rang, nobody knocked, nothing on the doorstep.
n|Second time my food has been 'delivered' to thin air. And the chat bot just offered me a 10% code.
u|Order status is completed but nothing arrived. Can you check the courier's GPS?
""",
    "refund refused": """
n|Asked for a refund for a totally wrong order and was told I'm 'not eligible'.
n|Refund request denied because I didn't send a photo within 1 hour. I was at work!
n|They refused to give my money back for inedible food and offered a 10% voucher instead.
u|My refund request for order #71340 was declined. Can someone explain why?
n|Apparently I've reported 'too many issues' so no more refunds. Maybe stop sending me broken orders then.
n|Claim rejected by an automated system without anyone looking at my photos.
n|Your policy is to say no to every refund claim, isn't it. Took the courier ages to bring that order too.
n|Denied a refund for a missing main course. They only returned the delivery fee.
""",
    "spilled packaging": """
n|The soup leaked all over the bag and the other food.
n|Container wasn't sealed, curry everywhere.
n|The drinks spilled inside the bag, the fries were swimming in cola.
u|The lid came off my noodle container during delivery, about half of it ended up in the bag.
n|Pizza box arrived on its side, toppings all stuck to the lid.
n|Leaking bag, sauce dripping across my hallway floor. The rider was nice about it at least, but it's a mess.
n|Packaging was crushed and the burger was squashed flat, juice running out of the box.
""",
    "restaurant cancelled order": """
n|The restaurant cancelled my order after 45 minutes of waiting. Why accept it in the first place?
n|Cancelled by the restaurant. Again. After I'd waited nearly an hour.
u|My order was cancelled by the restaurant with the reason 'item unavailable'. It's a pizza place and I ordered pizza.
n|That restaurant keeps accepting and then cancelling orders at 9pm. They obviously want to close early.
n|Third cancellation from the same place this week. Take them off the app if they can't cook. And your app kept sending me 'your food is almost ready' the whole time.
n|Order accepted, 'being prepared' for 40 minutes, then scrapped. Now everywhere else is closed.
""",
    "charged for failed order": """
n|Payment went through but the order failed. Money gone, no food, and the help chat was no help.
n|The app said 'order could not be placed' but my card was charged $31.
u|I was charged twice for an order attempt that showed an error. Neither order was created.
n|Billed for an order that doesn't exist in my history.
n|Payment failed message, yet the money left my account straight away.
u|Card debited for an order that never got placed. The transaction is pending in my bank app.
""",
    "allergy note ignored": """
n|I wrote NO PEANUTS in capitals in the notes and the dish came covered in peanuts.
n|The allergy note was ignored, there was dairy in my meal after I clearly said I'm allergic.
u|I listed a sesame allergy in the order notes but the bun had sesame seeds on it. Please pass this on to the restaurant.
n|Special instructions are obviously never read. Asked for no shellfish because of an allergy, prawns in the fried rice.
n|Allergy request ignored again. My partner had to use his inhaler. This is dangerous. The food was late on top of that.
n|Said gluten free because I'm coeliac, received regular pasta. Spent the night ill.
""",
}

# Praise, questions and one-off remarks: no recurring issue.
NO_ISSUE = """
p|Food arrived hot and fast, and the courier was lovely.
p|Best delivery app in town, never had an issue.
p|Quick, easy, tasty. Five stars.
p|The courier was so polite and even waited while I found my shoes.
p|Love the new 'group order' feature, it made the office lunch so much easier.
p|Ordered from Casa Verde, everything perfect and 10 minutes early.
p|Parcelly Plus has already paid for itself with the free deliveries.
p|Great selection of restaurants near me.
p|Super impressed, my order came in 18 minutes.
p|The driver helped carry my groceries up three flights. Absolute star.
p|Support sorted a small problem in two minutes, very friendly.
p|The app is clean and easy to use.
p|Thank you to the rider who delivered in the storm last night, hero.
p|Everything was well packed and still warm.
p|Reliable every time I've used it.
p|Tracking is really accurate, I knew exactly when to go downstairs.
p|Really good value with the weekday lunch deals.
p|Nice touch that the restaurant added a handwritten thank-you note.
p|Easy to reorder my favourites, saves me time every week.
p|Much better than the other apps I've tried.
p|Delicious food from Saffron House, arrived piping hot.
p|Perfect order, nothing missing, on time. That's all I want.
p|The grocery delivery is a lifesaver with a newborn.
p|Courier followed my instructions to the letter and left it by the side gate as asked.
p|Lovely experience from start to finish.
p|I like that I can see the hygiene rating of restaurants in the app.
p|A jar in my grocery order was cracked and they refunded it instantly, no hassle at all.
p|Fast and friendly, thanks!
p|Great late-night options, saved me after a long shift.
p|The vegetarian filter is really useful.
p|Used it for my mum's birthday and the cake arrived perfect.
p|Cheap delivery in my area and the drivers are always nice.
p|brilliant service tonight, cheers
p|The live map is fun, the kids love following the little scooter.
p|Honestly can't fault it.
p|Order was ready early and the courier was at my door before the estimate.
p|I appreciate the option to tip the rider after delivery.
p|Chat agent Dana was fantastic, very understanding.
p|Every order this month has been spot on.
p|Packaging was eco-friendly and nothing leaked.
p|Smooth checkout and Apple Pay works perfectly.
p|Fresh, tasty and quick. Will order again.
p|Such a good selection of local bakeries now.
p|First time ordering and it was really easy.
p|The courier even remembered my dog's name, lol. Lovely guy.
p|Happy with my orders so far, no complaints.
p|Scheduled delivery for Sunday morning worked perfectly.
p|Good food, good price, good service.
p|The allergen info on the menus is very clear, thank you.
p|Got my order in under 20 minutes on a Saturday night, impressive.
p|Love the rewards points.
p|The new dark mode looks great.
p|Perfect for lazy Sundays.
p|Quick reply from support when I changed my address mid-order.
p|The noodles were amazing and still steaming when they arrived.
p|Really friendly courier, made my day.
p|Very convenient, I use it almost every week.
p|Impressed that the driver called ahead to check the gate code.
p|Everything arrived as ordered, thanks Parcelly!
p|Ten out of ten for the Thai place on Mill Road.
u|Can I change the delivery address after placing an order?
u|Do you deliver to Northgate yet?
u|How do I delete my account?
u|Is there a way to split the bill with friends in the app?
u|What time do deliveries stop on Sundays?
u|Can I pay with cash on delivery?
u|How do I add a tip after the order has arrived?
u|Is Parcelly Plus worth it if I order twice a month?
u|Where can I see my past receipts for expenses?
u|Is it possible to schedule an order for tomorrow lunchtime?
u|Do couriers carry card machines?
u|How do I sign up to ride for Parcelly?
u|Please update my phone number, the old one is no longer in use.
u|Can restaurants see my phone number?
u|I need a tax invoice for the office order we placed last Tuesday.
u|Is there a minimum order value for groceries?
u|Ordered, ate, fine. Nothing special.
u|Average food, normal delivery time.
u|It was ok.
u|Can I order for someone else at a different address?
u|Does the app work in other cities when I travel?
u|How are the restaurant ratings calculated?
u|Is there a business account option for our team lunches?
u|Can I leave a review for the courier separately from the restaurant?
u|Food was alright, a bit salty for my taste but that's on the restaurant.
u|Does Parcelly offer gift cards?
u|How do I change the language of the app?
u|Are menu prices on the app the same as in the restaurant?
u|Could you add more halal options in my area? There are a few good places on Station Road that I've been to in person, but none of them seem to be on Parcelly yet, and I'd order from them every week if they were.
u|When is the new Korean place going to be on the app?
u|Just trying the app for the first time, we'll see.
u|Do you have a student plan?
u|Can I turn off the marketing notifications but keep the order updates?
u|How long are reward points valid for?
u|Standard experience, no issues, nothing memorable.
u|I'd like to know how you use my location data.
u|Is contactless delivery the default now?
u|Can I save more than one address, like home and work?
u|Where do I report a hygiene concern about a restaurant's kitchen?
u|The menu photos don't always match what the restaurant actually sells, might be worth updating.
u|Ok service. Prices a bit higher than ordering direct.
u|Is there an option for larger catering orders?
u|Do you deliver alcohol, and do I need to show ID?
u|My order was fine. I'm only writing because the survey asked.
u|Are the calorie counts on the menus accurate?
n|The app's new icon is hideous, bring back the old one.
n|Way too many push notifications, I get three a day about offers I don't want.
n|The portion of chips was tiny for the price.
n|Menu prices on Parcelly are about 20% higher than in the restaurant itself, which feels like a rip-off.
n|Still getting marketing emails after unsubscribing twice.
n|A courier's scooter was parked across my driveway and blocked my car for 10 minutes.
n|The burger was overcooked and dry. Not really the app's fault, but still.
n|You sent me a survey five minutes after delivery, before I'd even eaten. Annoying.
n|Can't change my email address in the app, the field is greyed out.
n|The rider was smoking while he handed me the food. Gross.
n|My receipt emails come through in German for some reason.
n|Found a hair in my pizza.
n|My favourite restaurant was removed from the app without any notice.
n|The search is terrible, typing 'pizza' showed me a florist.
n|Parcelly Plus renewed automatically without any reminder.
n|All my rewards points vanished after the app update.
n|The courier rang the bell at 11pm and woke the baby, even though I'd written 'please knock'.
n|The restaurant sent plastic cutlery even though I ticked 'no cutlery'. Pointless waste.
n|Menu said large portion, it was the same size as the small.
n|The rating screen won't let me skip it, I have to rate before I can use the app.
n|The app drains my battery like crazy with location on.
n|The sushi tasted off, I don't think the fish was fresh.
n|The courier said he isn't allowed to accept cash tips. Strange policy, I wanted to thank him.
n|My salad looked nothing like the picture on the menu.
n|hi so this is a weird one but the whole delivery bag smelled really strongly of cigarettes, like it had been kept in a car where someone chain smokes, and honestly it kind of got into the bread rolls too. probably a one off but wanted to say.
n|The referral programme is confusing and I never got the credit for inviting my sister.
n|Dark mode makes the prices unreadable.
n|The new layout hides the reorder button, took me ages to find it.
n|Ordered flowers through the app for my mum and they arrived wilted.
"""


def main() -> None:
    rows = make_eval.build(ISSUES, NO_ISSUE, SEED, END_DAY, id_prefix="PE")
    issues = Counter(r["issue"] or "(none)" for r in rows)
    sizes = tuple(count for issue, count in issues.most_common() if issue != "(none)")
    if sizes != SIZES or issues["(none)"] != NO_ISSUE_ROWS:
        raise SystemExit(f"issue sizes {sizes} and {issues['(none)']} no-issue rows, want {SIZES} and {NO_ISSUE_ROWS}")
    make_eval.write(rows, HERE / "cx_eval_skewed.csv")
    sentiments = Counter(r["sentiment"] for r in rows)
    print(f"{len(rows)} rows; sentiment {dict(sorted(sentiments.items()))}")
    for issue, count in issues.most_common():
        print(f"  {issue:<32} {count}")


if __name__ == "__main__":
    main()
