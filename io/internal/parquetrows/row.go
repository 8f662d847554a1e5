package parquetrows

import "github.com/parquet-go/parquet-go"

// Index is the position in row, a row in a table's Parquet form, of the
// value of the non-repeated leaf column col (its index in Schema), or -1
// when row holds none. A row holds a value per leaf column, NULLs
// included, but none or several for a repeated one, so a column's position
// is not its index.
func Index(row parquet.Row, col int) int {
	for i, v := range row {
		if v.Column() == col {
			return i
		}
	}
	return -1
}
