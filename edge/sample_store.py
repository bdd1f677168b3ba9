"""The demo store a till loads before the hub pushes it a catalog: a small Berlin grocer
with a few hundred products, promotions of every kind, loyalty customers and staff.

    python -m edge.sample_store [--out PATH]    (default: edge/data/sample-store.json)

Demo staff PINs: cashiers Anna Schmidt (S01) 1111 and Jonas Weber (S02) 3333, supervisor
Leyla Demir (S03) 2222, manager Thomas Becker (S04) 9999. Coupon code: WELCOME10.

Why Germany (biip region "de"): of biip's regions it is the one whose variable-measure
labels carry both weight (prefixes 28/29) and price (22/23) and protect the value with its
own check digit, so the demo exercises every check. So: EUR, VAT included in prices at 19%
(standard) and 7% (food, books, flowers, pet food), stamps VAT-free, no cash rounding
(Germany has none), VAT rounded per rate over the receipt. Names are in English for the
demo's readers. Barcodes are EAN-13 in GS1 Germany's 400-440 range with fictional company
prefixes; loose and counter goods have none but a 4-digit scale PLU (`rcn_item`); phone
numbers are from the Berlin range reserved for fiction (030 23125 xxx).

The output is the same bytes on every run: a fixed seed, and PIN hashes built in
werkzeug's "pbkdf2:sha256" format with a salt derived from the staff id (werkzeug's
`generate_password_hash` salts randomly), which `check_password_hash` verifies.
"""
import argparse
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from biip.checksums import gs1_price_weight_check_digit, gs1_standard_check_digit

from shared.money import format_money, parse_money

DEFAULT_PATH = Path(__file__).parent / "data" / "sample-store.json"
SEED = 20240601
RCN_REGION = "de"
LOYALTY_PREFIX = "LC"
# A PIN has 4 to 8 digits, so no hash cost stops an offline guesser; what protects PINs is
# the till's lockout after repeated wrong PINs. Sign-in tries every staff member's hash, so
# the cost is kept to a few ms each, for an instant sign-in on a Raspberry Pi.
PIN_ITERATIONS = 20_000
MEMBER_PRICE_SHARE = 0.12
SECOND_BARCODE_SHARE = 0.04


@dataclass(frozen=True)
class Department:
    number: int
    slug: str
    name: str
    tax_class: str
    makers: int
    items: str  # one per line: "name | price (or price/kg) | tags"; "!class" overrides tax


DEPARTMENTS = [
    Department(1, "produce", "Fruit & veg", "reduced", 2, """
        Bananas, loose | 1.69/kg | fruit
        Elstar apples, loose | 2.99/kg | fruit
        Vine tomatoes, loose | 3.99/kg | veg
        Waxy potatoes, loose | 1.49/kg | veg
        Red onions, loose | 2.29/kg | veg
        Carrots, loose | 1.29/kg | veg
        White seedless grapes, loose | 4.99/kg | fruit
        Oranges, loose | 2.49/kg | fruit
        Organic bananas 5 pack | 1.99 | fruit organic
        Braeburn apples 1 kg bag | 2.49 | fruit
        Conference pears 1 kg | 2.79 | fruit
        Lemons 500 g net | 1.49 | fruit
        Organic lemons 500 g | 1.99 | fruit organic
        Limes 4 pack | 1.19 | fruit
        Clementines 1 kg net | 2.49 | fruit
        Ready-to-eat avocados 2 pack | 2.29 | fruit
        Blueberries 250 g | 2.99 | fruit berries
        Strawberries 500 g | 3.49 | fruit berries
        Raspberries 125 g | 2.49 | fruit berries
        Gold kiwis 4 pack | 2.49 | fruit
        Ready-to-eat mango | 1.79 | fruit
        Pineapple | 2.29 | fruit
        Mini watermelon | 2.99 | fruit
        Cucumber | 0.79 | veg salad
        Iceberg lettuce | 1.29 | veg salad
        Romaine hearts 2 pack | 1.49 | veg salad
        Lamb's lettuce 150 g | 1.99 | veg salad
        Baby spinach 200 g | 1.89 | veg salad
        Rocket 125 g | 1.49 | veg salad
        Cherry tomatoes 250 g | 1.79 | veg salad
        Mixed peppers 3 pack | 2.49 | veg
        Courgettes 500 g | 1.49 | veg
        Aubergine | 0.99 | veg
        Broccoli | 1.29 | veg
        Cauliflower | 1.99 | veg
        White mushrooms 400 g | 1.79 | veg
        Chestnut mushrooms 250 g | 1.99 | veg
        Garlic 3 bulbs | 1.29 | veg
        Ginger 200 g | 1.29 | veg
        Leeks 2 pack | 1.49 | veg
        Sweet potatoes 1 kg | 2.99 | veg
        Onions 2 kg net | 1.99 | veg
        Floury potatoes 2.5 kg | 3.29 | veg
        Organic carrots 1 kg | 1.99 | veg organic
        Spring onions, bunch | 0.69 | veg
        White asparagus 500 g | 5.99 | veg
        Basil, potted | 1.99 | herbs
        Flat-leaf parsley, potted | 1.49 | herbs
        Chives, potted | 1.49 | herbs
    """),
    Department(2, "bakery", "Bakery", "reduced", 2, """
        Farmhouse rye bread 750 g | 2.49 | bread
        Wholemeal spelt bread 500 g | 2.79 | bread organic
        Sourdough wheat loaf 500 g | 2.99 | bread
        Sliced multigrain bread 500 g | 1.69 | bread
        White toast bread 500 g | 0.99 | bread
        Wholegrain toast bread 500 g | 1.29 | bread
        Pumpernickel 500 g | 1.49 | bread
        Rye crispbread 250 g | 1.19 | bread
        Baguette | 0.89 | bread
        Ciabatta 2 pack | 1.49 | bread
        Bread rolls 6 pack | 1.29 | rolls
        Pretzels 4 pack | 1.49 | rolls
        Seeded rolls 4 pack | 1.69 | rolls
        Organic spelt rolls 4 pack | 1.99 | rolls organic
        Plain bagels 4 pack | 1.79 | rolls
        Burger buns 4 pack | 1.29 | rolls bbq
        Wheat tortilla wraps 8 pack | 1.79 | bread
        Butter croissants 4 pack | 1.99 | pastry
        Pains au chocolat 4 pack | 2.29 | pastry
        Glazed doughnuts 4 pack | 1.99 | pastry
        Chocolate muffins 4 pack | 2.49 | pastry
        Apple strudel 600 g | 3.49 | cake
        Marble cake 400 g | 2.49 | cake
        Cheesecake 500 g | 3.99 | cake
        Crumble cake slices 4 pack | 2.99 | cake
        Rusks 225 g | 1.49 | bread
    """),
    Department(3, "dairy", "Dairy & eggs", "reduced", 3, """
        Whole milk 3.5% 1 l | 1.15 | milk
        Semi-skimmed milk 1.5% 1 l | 1.05 | milk
        Organic whole milk 3.8% 1 l | 1.49 | milk organic
        Lactose-free milk 1.5% 1 l | 1.39 | milk
        Long-life milk 1.5% 1 l | 0.99 | milk
        Oat drink 1 l | 1.49 | plant_drink !standard
        Soya drink 1 l | 1.39 | plant_drink !standard
        Buttermilk 500 ml | 0.79 | milk
        Kefir 500 ml | 1.19 | milk
        Chocolate milk drink 500 ml | 1.29 | milk
        Butter 250 g | 2.29 | butter
        Organic butter 250 g | 2.79 | butter organic
        Spreadable butter 250 g | 2.49 | butter
        Natural yoghurt 3.5% 500 g | 0.89 | yoghurt
        Greek-style yoghurt 500 g | 1.79 | yoghurt
        Fruit yoghurt {strawberry,peach,cherry,vanilla,blueberry} 150 g | 0.49 | yoghurt yoghurt_pot
        Organic yoghurt {raspberry,mango} 150 g | 0.69 | yoghurt yoghurt_pot organic
        Natural skyr 450 g | 1.69 | yoghurt
        Low-fat quark 500 g | 1.19 | quark
        Cream cheese {natural,herbs} 200 g | 1.29 | quark
        Whipping cream 30% 200 ml | 1.09 | cream
        Sour cream 200 g | 0.79 | cream
        Crème fraîche 200 g | 1.19 | cream
        Rice pudding {cinnamon,cherry} 200 g | 0.79 | dessert
        Chocolate pudding 4 x 125 g | 1.49 | dessert
        Free-range eggs 10 pack | 2.99 | eggs
        Barn eggs 10 pack | 2.19 | eggs
        Organic eggs 6 pack | 2.49 | eggs organic
    """),
    Department(4, "cheese", "Cheese", "reduced", 2, """
        Young Gouda from the counter | 11.90/kg | counter
        Alpine Emmental from the counter | 16.90/kg | counter
        Young Gouda sliced 400 g | 2.99 | sliced_cheese
        Medium Gouda sliced 250 g | 2.29 | sliced_cheese
        Emmental sliced 250 g | 2.49 | sliced_cheese
        Butter cheese sliced 250 g | 2.19 | sliced_cheese
        Organic Gouda sliced 150 g | 2.49 | sliced_cheese organic
        Tilsit 200 g | 2.19 | hard_cheese
        Mature cheddar 200 g | 2.49 | hard_cheese
        Smoked cheese 200 g | 2.19 | hard_cheese
        Parmigiano Reggiano 200 g | 4.99 | hard_cheese
        Grated pizza cheese 200 g | 1.79 | hard_cheese
        Mozzarella 125 g | 0.89 | soft_cheese
        Mini mozzarella balls 150 g | 1.49 | soft_cheese
        Feta 200 g | 1.99 | soft_cheese
        Halloumi 225 g | 2.79 | soft_cheese bbq
        Camembert 125 g | 1.49 | soft_cheese
        Brie 200 g | 2.49 | soft_cheese
        Goat's cheese log 150 g | 2.29 | soft_cheese
        Blue cheese 150 g | 2.29 | soft_cheese
        Cottage cheese 200 g | 0.99 | soft_cheese
        Mascarpone 250 g | 1.79 | soft_cheese
        Ricotta 250 g | 1.49 | soft_cheese
    """),
    Department(5, "meat", "Meat & deli", "reduced", 3, """
        Black Forest ham from the counter | 24.90/kg | counter cold_cuts
        Salami from the counter | 19.90/kg | counter cold_cuts
        Mixed mince from the counter | 8.90/kg | counter mince
        Chicken breast from the counter | 12.90/kg | counter chicken
        Green olives from the counter | 14.90/kg | counter deli
        Chicken breast fillets 400 g | 5.49 | chicken
        Chicken drumsticks 1 kg | 4.99 | chicken bbq
        Whole chicken 1.2 kg | 5.99 | chicken
        Turkey escalopes 400 g | 5.99 | poultry
        Beef mince 500 g | 4.99 | mince
        Mixed mince beef & pork 500 g | 3.99 | mince
        Organic beef mince 400 g | 5.99 | mince organic
        Pork escalopes 500 g | 4.99 | pork
        Marinated pork neck steaks 600 g | 5.99 | pork bbq
        Beef rump steaks 2 pack 400 g | 9.99 | beef bbq
        Bratwurst 5 pack 400 g | 3.29 | sausage bbq
        Nuremberg sausages 12 pack 200 g | 2.79 | sausage bbq
        Wiener sausages 6 pack 300 g | 2.99 | sausage
        Smoked bacon rashers 150 g | 1.79 | pork
        Cooked ham sliced 200 g | 1.99 | cold_cuts
        Black Forest ham sliced 100 g | 1.99 | cold_cuts
        Salami sliced 100 g | 1.49 | cold_cuts
        Chicken breast slices 150 g | 1.79 | cold_cuts
        Liver sausage 125 g | 1.29 | cold_cuts
        Potato salad 500 g | 1.99 | deli
        Coleslaw 250 g | 1.29 | deli
        Hummus 200 g | 1.79 | deli
        Smoked salmon 100 g | 3.49 | fish
        Herring fillets in cream sauce 200 g | 2.29 | fish
    """),
    Department(6, "frozen", "Frozen", "reduced", 2, """
        Pizza {margherita 350 g,salami 370 g,spinach 390 g} | 2.29 | pizza
        Stone-baked pizza prosciutto 360 g | 3.29 | pizza
        Fish fingers 15 pack 450 g | 2.99 | fish
        Salmon fillets 2 pack 250 g | 4.99 | fish
        Cooked prawns 200 g | 4.49 | fish
        Garden peas 1 kg | 1.79 | frozen_veg
        Leaf spinach portions 450 g | 1.29 | frozen_veg
        Mixed vegetables 1 kg | 2.29 | frozen_veg
        Oven chips 1 kg | 2.19 | frozen_veg
        Potato wedges 750 g | 2.29 | frozen_veg
        Mixed berries 500 g | 2.99 | berries
        Vanilla ice cream 1 l | 2.49 | ice_cream
        Chocolate ice cream 1 l | 2.49 | ice_cream
        Ice cream cones 6 pack | 3.49 | ice_cream
        Fruit ice lollies 10 pack | 2.99 | ice_cream
        Beef lasagne 400 g | 2.79 | ready_meal
        Vegetable spring rolls 12 pack | 2.49 | ready_meal
        Garlic baguettes 2 pack | 1.99 | ready_meal
        Veggie burgers 2 pack | 2.99 | ready_meal vegetarian bbq
    """),
    Department(7, "pantry", "Food cupboard", "reduced", 4, """
        {Spaghetti,Penne,Fusilli} 500 g | 0.99 | pasta
        Wholewheat spaghetti 500 g | 1.29 | pasta
        Organic farfalle 500 g | 1.49 | pasta organic
        Egg spaetzle 500 g | 1.79 | pasta
        Lasagne sheets 500 g | 1.49 | pasta
        Tomato & basil pasta sauce 400 g | 1.79 | pasta_sauce
        Arrabbiata pasta sauce 400 g | 1.89 | pasta_sauce
        Bolognese sauce 400 g | 1.99 | pasta_sauce
        {Green,Red} pesto 190 g | 1.99 | pasta_sauce
        Passata 500 g | 0.89 | tomatoes
        Chopped tomatoes 400 g | 0.69 | tomatoes tins
        Tomato purée 200 g | 0.79 | tomatoes
        Basmati rice 1 kg | 2.49 | rice
        Long grain rice 1 kg | 1.49 | rice
        Risotto rice 500 g | 1.79 | rice
        Couscous 500 g | 1.29 | rice
        Red lentils 500 g | 1.69 | pulses
        {Chickpeas,Kidney beans} 400 g | 0.79 | pulses tins
        Sweetcorn 3 x 150 g | 1.49 | tins
        Tuna chunks in brine 185 g | 1.49 | tins fish
        Sardines in olive oil 125 g | 1.29 | tins fish
        Tomato soup 400 ml | 1.29 | soup tins
        Goulash soup 400 ml | 1.79 | soup tins
        Chicken instant noodles 5 pack | 2.49 | soup
        Plain flour type 405 1 kg | 0.79 | baking
        Spelt flour 1 kg | 1.49 | baking
        Granulated sugar 1 kg | 1.19 | baking
        Icing sugar 250 g | 0.79 | baking
        Baking powder 5 sachets | 0.49 | baking
        Dried yeast 3 sachets | 0.39 | baking
        Dark cooking chocolate 200 g | 1.79 | baking
        Sunflower oil 1 l | 1.99 | oil
        Extra virgin olive oil 750 ml | 7.99 | oil
        Balsamic vinegar 500 ml | 1.99 | oil
        White wine vinegar 750 ml | 0.99 | oil
        Tomato ketchup 500 ml | 1.99 | condiments bbq
        Mayonnaise 500 ml | 2.29 | condiments
        Medium-hot mustard 250 ml | 0.79 | condiments bbq
        Soy sauce 250 ml | 1.99 | condiments
        Sea salt 500 g | 0.79 | spices
        Ground black pepper 50 g | 1.49 | spices
        Sweet paprika 50 g | 1.29 | spices
        Vegetable stock cubes 8 pack | 1.19 | spices
        Porridge oats 500 g | 0.89 | breakfast
        Cornflakes 375 g | 1.99 | breakfast cereal
        Crunchy muesli 750 g | 2.99 | breakfast cereal
        Organic muesli 500 g | 3.29 | breakfast cereal organic
        {Strawberry,Apricot} jam 450 g | 1.79 | spreads
        Runny honey 500 g | 4.49 | spreads
        Hazelnut spread 400 g | 2.49 | spreads
        Crunchy peanut butter 340 g | 2.29 | spreads
    """),
    Department(8, "snacks", "Snacks & sweets", "reduced", 3, """
        {Salted,Paprika,Sour cream & onion} crisps 175 g | 1.69 | crisps
        Salt & vinegar crisps 150 g | 1.79 | crisps
        Tortilla chips 200 g | 1.49 | crisps
        Salted pretzel sticks 250 g | 0.99 | crisps
        Sweet popcorn 100 g | 1.29 | crisps
        Salted peanuts 200 g | 1.49 | nuts
        Roasted cashews 150 g | 2.99 | nuts
        Trail mix 200 g | 2.49 | nuts
        {Milk,White} chocolate 100 g | 1.29 | chocolate
        Whole hazelnut chocolate 100 g | 1.39 | chocolate
        Dark chocolate 70% 100 g | 1.49 | chocolate
        Organic dark chocolate 85% 100 g | 1.99 | chocolate organic
        Chocolate biscuits 125 g | 1.29 | biscuits
        Butter biscuits 200 g | 0.99 | biscuits
        Oat cookies 250 g | 1.79 | biscuits
        Hazelnut wafers 250 g | 1.49 | biscuits
        Gummy bears 200 g | 1.19 | sweets
        Liquorice wheels 200 g | 1.29 | sweets
        Peppermints 50 g | 0.89 | sweets
        Sugar-free chewing gum 10 pack | 0.99 | sweets
        Muesli bars 6 pack | 1.99 | sweets
        Rice cakes 100 g | 0.99 | biscuits
    """),
    Department(9, "hot_drinks", "Coffee & tea", "reduced", 2, """
        Ground coffee {classic,mild} 500 g | 5.99 | coffee
        Espresso beans 1 kg | 12.99 | coffee
        Crema coffee beans 1 kg | 12.49 | coffee
        Organic Fairtrade ground coffee 500 g | 7.49 | coffee organic
        Instant coffee 200 g | 5.49 | coffee
        Coffee pods 16 pack | 3.49 | coffee
        Black tea 25 bags | 1.49 | tea
        Earl Grey tea 20 bags | 1.79 | tea
        Green tea 20 bags | 1.69 | tea
        {Peppermint,Chamomile} tea 20 bags | 1.29 | tea
        Fruit tea 20 bags | 1.49 | tea
        Rooibos tea 20 bags | 1.69 | tea
        Drinking chocolate 400 g | 2.49 | cocoa
    """),
    Department(10, "drinks", "Drinks", "standard", 3, """
        Mineral water {still,medium,sparkling} 1.5 l | 0.49 | water
        Sparkling mineral water 6 x 1.5 l | 2.79 | water
        Apple juice 1 l | 1.49 | juice
        Orange juice, not from concentrate, 1 l | 2.29 | juice
        Multivitamin juice 1 l | 1.49 | juice
        Mango smoothie 250 ml | 1.79 | juice
        Apple spritzer 1.5 l | 0.99 | soft_drinks
        Cola {regular,zero} 1.5 l | 1.29 | soft_drinks
        Cola cans 6 x 0.33 l | 3.99 | soft_drinks
        Lemonade 1.5 l | 0.99 | soft_drinks
        Orange soda 1.5 l | 1.29 | soft_drinks
        Peach iced tea 1.5 l | 1.19 | soft_drinks
        Tonic water 1 l | 1.19 | soft_drinks
        Energy drink 250 ml | 1.29 | soft_drinks
        Isotonic sports drink 500 ml | 1.49 | soft_drinks
    """),
    Department(11, "alcohol", "Beer, wine & spirits", "standard", 4, """
        Pilsner 0.5 l | 0.89 | beer
        Helles lager 0.5 l | 0.99 | beer
        Wheat beer 0.5 l | 1.09 | beer
        Alcohol-free wheat beer 0.5 l | 1.09 | beer
        Radler 0.5 l | 0.89 | beer
        Pilsner 6 x 0.33 l | 4.99 | beer
        Pilsner crate 20 x 0.5 l | 14.99 | beer
        Craft IPA 0.33 l | 1.99 | beer craft
        Craft pale ale 0.33 l | 1.89 | beer craft
        Craft stout 0.33 l | 2.29 | beer craft
        Riesling dry 0.75 l | 5.99 | wine white_wine
        Pinot Grigio 0.75 l | 4.99 | wine white_wine
        Sauvignon Blanc 0.75 l | 6.49 | wine white_wine
        Merlot 0.75 l | 4.99 | wine red_wine
        Rioja Crianza 0.75 l | 7.99 | wine red_wine
        Chianti 0.75 l | 6.99 | wine red_wine
        Primitivo 0.75 l | 6.49 | wine red_wine
        Rosé 0.75 l | 4.99 | wine
        Dry sparkling wine 0.75 l | 3.99 | wine sparkling
        Prosecco 0.75 l | 6.99 | wine sparkling
        Champagne brut 0.75 l | 24.99 | wine sparkling
        London dry gin 0.7 l | 14.99 | spirits
        Vodka 0.7 l | 9.99 | spirits
        Scotch whisky 0.7 l | 17.99 | spirits
        Dark rum 0.7 l | 13.99 | spirits
        Herbal liqueur 0.7 l | 12.99 | spirits
    """),
    Department(12, "household", "Household", "standard", 3, """
        Toilet paper 3-ply 10 rolls | 4.49 | paper
        Kitchen roll 4 rolls | 2.99 | paper
        Pocket tissues 15 pack | 1.49 | paper
        Facial tissues 100 | 1.29 | paper
        Washing-up liquid 500 ml | 1.29 | cleaning
        Dishwasher tablets 40 pack | 5.99 | cleaning
        All-purpose cleaner 1 l | 1.79 | cleaning
        Bathroom cleaner 750 ml | 1.99 | cleaning
        Glass cleaner 500 ml | 1.49 | cleaning
        Toilet cleaner 750 ml | 1.49 | cleaning
        Scouring sponges 10 pack | 1.49 | cleaning
        {Universal,Colour} detergent 20 washes | 4.99 | laundry
        Fabric softener 1 l | 1.99 | laundry
        Bin bags 35 l 20 pack | 1.99 | kitchen
        Aluminium foil 30 m | 2.49 | kitchen
        Cling film 30 m | 1.79 | kitchen
        Baking paper 8 m | 1.29 | kitchen
        Freezer bags 3 l 25 pack | 1.29 | kitchen
        {AA,AAA} batteries 4 pack | 3.99 | batteries
        Tea lights 50 pack | 2.99 | home
        Matches 10 boxes | 0.99 | home
        LED bulb E27 | 4.99 | home
        Barbecue charcoal 3 kg | 4.99 | bbq
    """),
    Department(13, "personal_care", "Personal care", "standard", 3, """
        Shampoo 300 ml | 1.99 | hair
        Conditioner 300 ml | 1.99 | hair
        Shower gel 250 ml | 1.29 | body
        Liquid hand soap refill 500 ml | 1.49 | body
        Bar soap 2 pack | 1.19 | body
        Body lotion 400 ml | 2.49 | body
        Hand cream 100 ml | 1.49 | body
        Sun cream SPF 30 200 ml | 4.99 | body
        Lip balm | 0.99 | body
        Toothpaste 75 ml | 0.99 | dental
        Toothbrushes medium 2 pack | 1.99 | dental
        Dental floss 50 m | 1.49 | dental
        Roll-on deodorant 50 ml | 1.69 | body
        Deodorant spray 150 ml | 1.99 | body
        Razors 4 pack | 3.49 | body
        Cotton pads 100 pack | 0.89 | body
        Cotton buds 200 pack | 0.79 | body
        Plasters 20 pack | 1.99 | first_aid
        Baby wipes 80 pack | 1.29 | baby
        Nappies size 4, 42 pack | 9.99 | baby
        Baby food pouch apple & pear 90 g | 0.99 | baby !reduced
    """),
    Department(14, "pets", "Pets", "reduced", 2, """
        Cat food pouches 12 x 85 g | 4.49 | cat
        Cat food pâté 400 g | 0.89 | cat
        Dry cat food 1.5 kg | 4.99 | cat
        Cat treats 60 g | 1.49 | cat
        Clumping cat litter 10 l | 3.99 | cat !standard
        Dog food chunks 1.2 kg | 1.99 | dog
        Dry dog food 3 kg | 6.99 | dog
        Dog chews 10 pack | 2.99 | dog
        Wild bird seed 1 kg | 1.99 | birds
    """),
    Department(15, "kiosk", "Flowers & kiosk", "reduced", 2, """
        Tulips, 10 stems | 3.99 | flowers
        Roses, 7 stems | 4.99 | flowers
        Potted orchid | 9.99 | flowers
        Daily newspaper | 2.00 | press
        TV guide | 1.99 | press
        Stamp, standard letter | 0.95 | stamps !exempt
        Stamp, large letter | 1.80 | stamps !exempt
    """),
]

TAX_CLASSES = {
    "standard": [{"id": "vat19", "rate": "19", "name": "VAT 19%"}],
    "reduced": [{"id": "vat7", "rate": "7", "name": "VAT 7%"}],
    "exempt": [],
}

# Promotions: contract fields, with product names in place of skus (resolved at build time).
PROMOTIONS = [
    {"id": "P01", "name": "10% off organic", "type": "percent_off", "tags": ["organic"],
     "percent": "10"},
    {"id": "P02", "name": "Any 4 yoghurt pots for €1.69", "type": "mix_match",
     "tags": ["yoghurt_pot"], "qty": 4, "price": 169},
    {"id": "P03", "name": "Craft beer 3 for 2", "type": "buy_x_get_y", "tags": ["craft"],
     "buy": 2, "get": 1, "percent": "100"},
    {"id": "P04", "name": "Buy a pasta sauce, get pasta free", "type": "buy_x_get_y",
     "tags": ["pasta_sauce"], "buy": 1, "get": 1, "percent": "100",
     "reward_tags": ["pasta"]},
    {"id": "P05", "name": "Members: 15% off coffee", "type": "percent_off",
     "tags": ["coffee"], "percent": "15", "member_only": True},
    {"id": "P06", "name": "Any 2 selected wines for €11", "type": "mix_match", "qty": 2,
     "price": 1100, "skus": ["Riesling dry 0.75 l", "Sauvignon Blanc 0.75 l",
                             "Rioja Crianza 0.75 l", "Chianti 0.75 l", "Primitivo 0.75 l"]},
    {"id": "P07", "name": "Members: €5 off when you spend €50", "type": "threshold",
     "min_subtotal": 5000, "amount_off": 500, "member_only": True},
    {"id": "P08", "name": "Coupon WELCOME10: 10% off a €20 shop", "type": "threshold",
     "min_subtotal": 2000, "percent": "10", "coupon": "WELCOME10"},
    {"id": "P09", "name": "Crisps & snacks 3 for 2", "type": "buy_x_get_y",
     "tags": ["crisps"], "buy": 2, "get": 1, "percent": "100"},
    {"id": "P10", "name": "Any 3 chocolate bars for €3", "type": "mix_match",
     "tags": ["chocolate"], "qty": 3, "price": 300},
    {"id": "P11", "name": "Members: 10% off fruit & veg", "type": "percent_off",
     "tags": ["produce"], "percent": "10", "member_only": True},
    {"id": "P12", "name": "Bread of the week: sourdough 20% off", "type": "percent_off",
     "skus": ["Sourdough wheat loaf 500 g"], "percent": "20"},
    {"id": "P13", "name": "2 frozen pizzas for €4", "type": "mix_match", "tags": ["pizza"],
     "qty": 2, "price": 400},
    {"id": "P14", "name": "Toothpaste: buy one get one free", "type": "buy_x_get_y",
     "skus": ["Toothpaste 75 ml"], "buy": 1, "get": 1, "percent": "100"},
    {"id": "P15", "name": "€3 off when you spend €30", "type": "threshold",
     "min_subtotal": 3000, "amount_off": 300},
]

FIRST_NAMES = ["Anja", "Ben", "Clara", "Deniz", "Elias", "Fatma", "Greta", "Hannes", "Ida",
               "Jan", "Katrin", "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sami",
               "Tobias", "Ute", "Valentin", "Zeynep"]
LAST_NAMES = ["Bauer", "Fischer", "Hoffmann", "Keller", "Koch", "Krüger", "Lange", "Meyer",
              "Neumann", "Öztürk", "Richter", "Schäfer", "Schulz", "Wagner", "Wolf", "Yilmaz",
              "Zimmermann", "Nowak"]

STAFF = [("S01", "Anna Schmidt", "cashier", "1111"), ("S02", "Jonas Weber", "cashier", "3333"),
         ("S03", "Leyla Demir", "supervisor", "2222"),
         ("S04", "Thomas Becker", "manager", "9999")]

REASONS = {
    "no_sale": ["Give change", "Check float", "Customer query", "Replace till roll", "Other"],
    "discount": ["Damaged packaging", "Short date", "Price match", "Customer goodwill",
                 "Staff discount"],
    "refund": ["Faulty item", "Out of date", "Wrong item", "Overcharged", "Changed mind"],
    "void": ["Scanned in error", "Wrong quantity", "Customer changed mind", "Price query"],
    "paid_out": ["Window cleaning", "Staff room supplies", "Postage", "Delivery tip"],
    "paid_in": ["Float top-up", "Change from bank", "Returned petty cash"],
}

# Demo labels: (what, product name, the value a scale would print).
SAMPLE_LABELS = [("weight", "Young Gouda from the counter", 348),
                 ("price", "Black Forest ham from the counter", 388)]
SAMPLE_EANS = ["Whole milk 3.5% 1 l", "Organic eggs 6 pack", "Chicken breast fillets 400 g",
               "Craft IPA 0.33 l"]
# German variable-measure layout "PPPPPPCVVVVV": prefix, 4-digit PLU, value check, value.
RCN_PREFIX = {"weight": "28", "price": "22"}


def build() -> dict:
    """The whole store file as a dict, the same on every call."""
    rng = random.Random(SEED)
    products = _products(rng)
    by_name = {product["name"]: product for product in products}
    customers = _customers(rng)
    return {
        "format": 1,
        "store": {
            "id": "store-1", "name": "Tilly Market Kreuzberg",
            "address": ["Musterstraße 12", "10115 Berlin"], "phone": "+49 30 23125 000",
            "tax_id": "DE123456789",
            "footer": "Thank you for shopping with us! Returns within 14 days with receipt.",
            "currency": {"code": "EUR", "exponent": 2, "symbol": "€"},
            "rcn_region": RCN_REGION, "loyalty_prefix": LOYALTY_PREFIX,
        },
        "pricing": {
            "tax_mode": "inclusive", "tax_rounding": "total", "rounding": "half_up",
            "cash_increment": 1, "tax_classes": TAX_CLASSES,
            "promotions": [_resolve(promo, by_name) for promo in PROMOTIONS],
        },
        "products": products,
        "customers": customers,
        "staff": [{"id": staff_id, "name": name, "role": role, "pin_hash": pin_hash(staff_id, pin)}
                  for staff_id, name, role, pin in STAFF],
        "reasons": REASONS,
        "denominations": [10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
        "quick_cash": [500, 1000, 2000, 5000],
        "sample_scans": _sample_scans(by_name, customers[0]),
    }


def _products(rng: random.Random) -> list[dict]:
    used: set[str] = set()
    products = []
    for department in DEPARTMENTS:
        makers = [f"{rng.randint(400, 440)}{rng.randrange(10_000):04d}"
                  for _ in range(department.makers)]
        plus = 0
        for number, (name, price, tags) in enumerate(_items(department), start=1):
            weighed = price.endswith("/kg")
            unit_price = parse_money(price.removesuffix("/kg"))
            product = {"sku": f"{department.number:02d}{number:04d}", "name": name,
                       "barcodes": [] if weighed else _new_eans(rng, makers, used),
                       "unit_price": unit_price}
            if rng.random() < MEMBER_PRICE_SHARE and unit_price >= 99:
                product["member_price"] = _member_price(unit_price)
            product |= {
                "tax_class": next((t[1:] for t in tags if t[0] == "!"), department.tax_class),
                "tags": sorted({department.slug, *(t for t in tags if t[0] != "!")}),
                "department": department.name, "sold_by": "weight" if weighed else "unit"}
            if weighed:
                plus += 1
                product["rcn_item"] = f"{department.number:02d}{plus:02d}"
            products.append(product)
    return products


def _items(department: Department):
    """(name, price text, tags) per product, "{a,b}" in a name giving one product each."""
    for line in department.items.strip().splitlines():
        name, price, tags = (field.strip() for field in line.split("|"))
        variants = re.search(r"\{(.*?)\}", name)
        for variant in variants[1].split(",") if variants else [None]:
            full = name if variant is None else name.replace(variants[0], variant)
            yield full[0].upper() + full[1:], price, tags.split()


def _new_eans(rng: random.Random, makers: list[str], used: set[str]) -> list[str]:
    """One new EAN-13 from one of the department's makers; now and then a second one, as
    when a product's pack changes."""
    company_prefix, codes = rng.choice(makers), []
    count = 2 if rng.random() < SECOND_BARCODE_SHARE else 1
    while len(codes) < count:
        payload = f"{company_prefix}{rng.randrange(100_000):05d}"
        code = f"{payload}{gs1_standard_check_digit(payload)}"
        if code not in used:
            used.add(code)
            codes.append(code)
    return codes


def _member_price(price: int) -> int:
    """About 12% off, ending in 9 like shelf prices do."""
    member = price * 88 // 100 // 10 * 10 + 9
    return member if member < price else member - 10


def _customers(rng: random.Random) -> list[dict]:
    names = rng.sample([f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES], 20)
    cards = rng.sample(range(10_000_000, 100_000_000), 20)
    phones = rng.sample(range(100, 1000), 20)
    rows = zip(names, cards, phones, strict=True)
    return [{"id": f"C{number:04d}", "name": name, "card": f"{LOYALTY_PREFIX}{card}",
             "phone": f"+49 30 23125 {phone}", "member": True}
            for number, (name, card, phone) in enumerate(rows, start=1)]


def _resolve(promotion: dict, by_name: dict) -> dict:
    """Swap product names for skus, keeping the contract's key order."""
    if "skus" not in promotion:
        return promotion
    return promotion | {"skus": [by_name[name]["sku"] for name in promotion["skus"]]}


def pin_hash(staff_id: str, pin: str) -> str:
    """werkzeug's "pbkdf2:sha256:<iterations>$<salt>$<hex>", salted from the staff id."""
    salt = hashlib.sha256(f"tilly-sample-store/{staff_id}".encode()).hexdigest()[:16]
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), PIN_ITERATIONS)
    return f"pbkdf2:sha256:{PIN_ITERATIONS}${salt}${digest.hex()}"


def variable_measure_code(kind: str, item: str, value: int) -> str:
    """A German ("de") scale label: weight in grams or price in cents for PLU `item`."""
    digits = f"{value:05d}"
    payload = f"{RCN_PREFIX[kind]}{item}{gs1_price_weight_check_digit(digits)}{digits}"
    return f"{payload}{gs1_standard_check_digit(payload)}"


def _sample_scans(by_name: dict, customer: dict) -> list[dict]:
    scans = [{"label": f"EAN-13: {name}", "code": by_name[name]["barcodes"][0], "kind": "gtin",
              "sku": by_name[name]["sku"]} for name in SAMPLE_EANS]
    for kind, name, value in SAMPLE_LABELS:
        product = by_name[name]
        shown = f"{value} g" if kind == "weight" else f"€{format_money(value)}"
        scans.append({"label": f"Scale label ({kind}): {name}, {shown}",
                      "code": variable_measure_code(kind, product["rcn_item"], value),
                      "kind": "variable", "sku": product["sku"],
                      ("weight_g" if kind == "weight" else "price"): value})
    scans.append({"label": f"Loyalty card: {customer['name']}", "code": customer["card"],
                  "kind": "loyalty", "customer": customer["id"]})
    return scans


def render(store: dict) -> str:
    """JSON with one product, customer or promotion per line: readable, small diffs."""
    return _render(store, 0) + "\n"


def _render(value, level: int) -> str:
    pad, end = "  " * (level + 1), "\n" + "  " * level
    if isinstance(value, dict) and level < 2:
        items = [f"{pad}{json.dumps(key)}: {_render(item, level + 1)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + end + "}"
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        items = [pad + json.dumps(item, ensure_ascii=False) for item in value]
        return "[\n" + ",\n".join(items) + end + "]"
    return json.dumps(value, ensure_ascii=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m edge.sample_store",
                                     description="Write the demo store file.")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="default: %(default)s")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(build()), encoding="utf-8")


if __name__ == "__main__":
    main()
