package generate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
)

type product struct {
	sku   string
	cat   int16
	price int64 // cents
}

type category struct {
	slug  string
	price float64 // typical price in EUR
	terms []string
}

// categories is the shop's tree; terms are what people type when looking for
// the category (brands, styles, a few misspellings).
var categories = []category{
	{"shoes", 79, []string{"shoes", "leather shoes", "loafers", "ballet flats", "heels", "oxford shoes", "derby shoes", "espadrilles", "mules", "slip on shoes"}},
	{"sneakers", 99, []string{"sneakers", "running shoes", "white sneakers", "trainers", "high tops", "nike air max", "adidas superstar", "new balance 574", "vans old skool", "converse chuck taylor", "sneakres", "air force 1", "adidas samba", "asics gel", "on cloud"}},
	{"boots", 129, []string{"boots", "chelsea boots", "ankle boots", "winter boots", "hiking boots", "dr martens", "ugg boots", "timberland boots", "rain boots", "knee high boots"}},
	{"sandals", 45, []string{"sandals", "birkenstock", "flip flops", "slides"}},
	{"t-shirts", 19, []string{"t-shirt", "tshirt", "basic tee", "oversized t-shirt", "graphic tee", "polo shirt", "long sleeve shirt"}},
	{"shirts", 39, []string{"shirt", "linen shirt", "flannel shirt", "oxford shirt", "blouse"}},
	{"jeans", 69, []string{"jeans", "levis 501", "skinny jeans", "wide leg jeans", "mom jeans", "straight jeans", "bootcut jeans", "black jeans", "jeans men", "jeans women"}},
	{"trousers", 49, []string{"trousers", "chinos", "cargo pants", "joggers", "suit trousers", "leggings"}},
	{"dresses", 59, []string{"dress", "maxi dress", "midi dress", "party dress", "knit dress", "wrap dress", "evening dress", "little black dress"}},
	{"skirts", 39, []string{"skirt", "pleated skirt", "denim skirt", "mini skirt"}},
	{"jackets", 119, []string{"jacket", "puffer jacket", "down jacket", "leather jacket", "denim jacket", "rain jacket", "north face", "bomber jacket", "softshell jacket", "jaket"}},
	{"coats", 159, []string{"coat", "wool coat", "trench coat", "parka", "winter coat", "teddy coat"}},
	{"knitwear", 55, []string{"sweater", "cardigan", "jumper", "cashmere sweater", "turtleneck", "knit vest"}},
	{"hoodies", 49, []string{"hoodie", "sweatshirt", "zip hoodie", "fleece"}},
	{"sportswear", 35, []string{"sports bra", "running tights", "gym shorts", "tracksuit", "yoga pants", "training top"}},
	{"swimwear", 29, []string{"bikini", "swimsuit", "swim shorts"}},
	{"underwear", 15, []string{"boxer shorts", "bra", "briefs", "pyjamas", "thermal underwear"}},
	{"socks", 9, []string{"socks", "wool socks", "running socks", "tights"}},
	{"bags", 69, []string{"bag", "handbag", "tote bag", "crossbody bag", "shopper", "clutch", "weekender"}},
	{"backpacks", 59, []string{"backpack", "rucksack", "laptop backpack", "fjallraven kanken", "eastpak"}},
	{"accessories", 25, []string{"belt", "scarf", "gloves", "wallet", "umbrella", "beanie"}},
	{"watches", 149, []string{"watch", "casio", "fossil watch", "smartwatch strap", "seiko"}},
	{"sunglasses", 89, []string{"sunglasses", "ray ban", "aviator sunglasses"}},
	{"jewellery", 39, []string{"necklace", "earrings", "ring", "bracelet", "silver necklace"}},
	{"hats", 25, []string{"cap", "baseball cap", "bucket hat", "hat"}},
	{"kids", 29, []string{"kids shoes", "kids jacket", "baby clothes", "school backpack", "kids sneakers"}},
	{"home", 35, []string{"blanket", "towels", "bed linen", "candle", "cushion cover"}},
	{"sale", 39, []string{"sale", "black friday", "outlet", "clearance", "deals"}},
}

var colours = []string{"black", "white", "red", "blue", "green", "beige", "grey", "pink", "navy", "brown", "olive", "burgundy"}

// colourNouns are the nouns people combine with a colour, and their category.
var colourNouns = []struct {
	noun string
	cat  string
}{
	{"dress", "dresses"}, {"jacket", "jackets"}, {"jeans", "jeans"}, {"t-shirt", "t-shirts"},
	{"hoodie", "hoodies"}, {"coat", "coats"}, {"sweater", "knitwear"}, {"skirt", "skirts"},
	{"boots", "boots"}, {"sneakers", "sneakers"}, {"bag", "bags"}, {"scarf", "accessories"},
	{"shirt", "shirts"}, {"trousers", "trousers"},
}

type catalog struct {
	products []product
	byCat    [][]int32
	terms    []string
	termCat  []int16
	termEsc  []string // terms escaped for a query string
	popular  *rand.Zipf
	nTerms   *rand.Zipf
}

func newCatalog(rng *rand.Rand) *catalog {
	c := &catalog{byCat: make([][]int32, len(categories))}
	catIdx := map[string]int16{}
	for i, cat := range categories {
		catIdx[cat.slug] = int16(i)
		for _, t := range cat.terms {
			c.addTerm(t, int16(i))
		}
	}
	for _, col := range colours {
		for _, n := range colourNouns {
			c.addTerm(col+" "+n.noun, catIdx[n.cat])
		}
	}
	for _, t := range []string{"gift for him", "gift for her", "christmas jumper", "vegan leather", "organic cotton", "size 42", "plus size", "petite", "wide fit shoes", "waterproof"} {
		c.addTerm(t, int16(rng.IntN(len(categories))))
	}
	// Shuffle so that popularity (Zipf over the index) is not alphabetical.
	rng.Shuffle(len(c.terms), func(i, j int) {
		c.terms[i], c.terms[j] = c.terms[j], c.terms[i]
		c.termCat[i], c.termCat[j] = c.termCat[j], c.termCat[i]
	})
	c.termEsc = make([]string, len(c.terms))
	for i, t := range c.terms {
		c.termEsc[i] = url.QueryEscape(t)
	}

	const nProducts = 3000
	skus := rng.Perm(90000)[:nProducts]
	weights := make([]float64, len(categories))
	for i := range weights {
		weights[i] = 1 + 3*rng.Float64()
	}
	for i := range nProducts {
		cat := int16(pickWeighted(rng, weights))
		base := categories[cat].price * math.Exp(rng.NormFloat64()*0.45)
		euros := math.Max(3, math.Round(base))
		cents := int64(euros)*100 - []int64{1, 5, 10, 0, 1}[rng.IntN(5)]
		c.products = append(c.products, product{sku: fmt.Sprintf("sku-%d", 10000+skus[i]), cat: cat, price: cents})
		c.byCat[cat] = append(c.byCat[cat], int32(i))
	}
	c.popular = rand.NewZipf(rng, 1.07, 3, nProducts-1)
	c.nTerms = rand.NewZipf(rng, 1.05, 4, uint64(len(c.terms)-1))
	return c
}

func (c *catalog) addTerm(t string, cat int16) {
	for _, x := range c.terms {
		if x == t {
			return
		}
	}
	c.terms = append(c.terms, t)
	c.termCat = append(c.termCat, cat)
}

// productIn returns a product of the category, popular ones more often.
func (c *catalog) productIn(rng *rand.Rand, cat int16) int32 {
	ps := c.byCat[cat]
	if len(ps) == 0 {
		return int32(c.popular.Uint64())
	}
	// Low indexes in a category are its best sellers.
	i := int(float64(len(ps)) * math.Pow(rng.Float64(), 2.2))
	return ps[min(i, len(ps)-1)]
}

func pickWeighted(rng *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	r := rng.Float64() * sum
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}
