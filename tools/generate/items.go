package generate

import "strconv"

// Line items, currencies and custom properties of the generated events (see
// README.md, Items, currencies and custom properties).

// currencyOf is the currency a device's shop prices in: most devices see
// euros, some pounds, dollars or francs (the same figures in each: the
// generator converts nothing). It is drawn from the device index, not the
// random stream, so that the rest of the world is what it was without it.
func currencyOf(dev int32) string {
	switch dev % 20 {
	case 0, 1:
		return "GBP"
	case 2:
		return "USD"
	case 3:
		return "CHF"
	}
	return "EUR"
}

// couponOf is the custom coupon field a purchase carries, "" for none:
// every fourth order.
func couponOf(order int32) string {
	if order%4 != 0 {
		return ""
	}
	return "SAVE" + strconv.Itoa(5*(1+int(order/4)%3))
}

// itemsOf are the line items an event carries: the product and quantity of
// a cart event, the order's cart for a purchase, none for other events.
func (g *gen) itemsOf(e *event) []cartItem {
	switch e.typ {
	case evAddToCart, evRemoveFromCart:
		return []cartItem{{product: e.product, qty: max(e.qty, 1)}}
	case evPurchase:
		return g.orderItems[e.order]
	}
	return nil
}

// appendItems appends the event's "items" field, if it has items.
func (g *gen) appendItems(b []byte, e *event) []byte {
	items := g.itemsOf(e)
	if len(items) == 0 {
		return b
	}
	b = append(b, `,"items":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		p := &g.cat.products[it.product]
		b = appendStr(append(b, `{"item_id":`...), p.sku)
		b = appendStr(append(b, `,"item_name":`...), categories[p.cat].slug+" "+p.sku)
		b = appendStr(append(b, `,"item_category":`...), categories[p.cat].slug)
		b = appendCents(append(b, `,"price":`...), p.price)
		b = strconv.AppendInt(append(b, `,"quantity":`...), int64(it.qty), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendCustom appends the custom fields an event of d carries: its screen
// size (web) or app version (apps), and a purchase's coupon.
func (g *gen) appendCustom(b []byte, d *device, e *event) []byte {
	if d.extra != "" {
		if d.form.app() {
			b = append(b, `,"app_version":`...)
		} else {
			b = append(b, `,"screen":`...)
		}
		b = appendStr(b, d.extra)
	}
	if c := couponOf(e.order); e.typ == evPurchase && c != "" {
		b = appendStr(append(b, `,"coupon":`...), c)
	}
	return b
}

// appendTruthCustom appends the truth of an accepted event's custom fields
// and line items: "properties", the custom fields as sent (keys sorted), and
// "item_count", how many line items it carries.
func (g *gen) appendTruthCustom(b []byte, e *event) []byte {
	d := &g.devices[e.dev]
	start := len(b)
	b = append(b, `,"properties":{`...)
	if c := couponOf(e.order); e.typ == evPurchase && c != "" {
		b = appendStr(append(b, `,"coupon":`...), c)
	}
	if d.extra != "" {
		if d.form.app() {
			b = appendStr(append(b, `,"app_version":`...), d.extra)
		} else {
			b = appendStr(append(b, `,"screen":`...), d.extra)
		}
	}
	switch {
	case len(b) == start+len(`,"properties":{`):
		b = b[:start] // none
	default:
		// Every field went in with a leading comma; drop the first one.
		i := start + len(`,"properties":{`)
		b = append(b[:i], b[i+1:]...)
		b = append(b, '}')
	}
	if n := len(g.itemsOf(e)); n > 0 {
		b = strconv.AppendInt(append(b, `,"item_count":`...), int64(n), 10)
	}
	return b
}
