package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/example/clickstream/tools/query/warehousesql"
)

// shell reads SQL statements from in, each ended by a semicolon, runs each
// on w with the parameters p and writes its result to out in format
// (warehousesql.Formats), errors to errOut. It goes on after a failed
// statement and returns an error if any failed. With prompt, it prompts on
// errOut for each line (an interactive session).
func shell(ctx context.Context, w *warehousesql.Warehouse, p warehousesql.Params, format string, in io.Reader, out, errOut io.Writer, prompt bool) error {
	failed := 0
	var pending strings.Builder
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for {
		if prompt && strings.TrimSpace(pending.String()) == "" {
			fmt.Fprint(errOut, "duckdb> ")
		} else if prompt {
			fmt.Fprint(errOut, "   ...> ")
		}
		if !sc.Scan() {
			break
		}
		pending.WriteString(sc.Text())
		pending.WriteByte('\n')
		stmts, rest := splitStatements(pending.String())
		pending.Reset()
		pending.WriteString(rest)
		for _, stmt := range stmts {
			res, err := w.Run(ctx, stmt, p)
			if err == nil {
				err = warehousesql.Write(out, res, format)
			}
			if err != nil {
				failed++
				fmt.Fprintf(errOut, "error: %v\n", err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read statements: %w", err)
	}
	if strings.TrimSpace(pending.String()) != "" {
		failed++
		fmt.Fprintln(errOut, "error: the input ends inside a statement (no closing ;)")
	}
	if failed > 0 {
		return fmt.Errorf("%d statement(s) failed", failed)
	}
	return nil
}

// splitStatements cuts text at each semicolon outside quotes and comments:
// the complete statements (without the semicolon, empty ones dropped) and
// the rest, a statement still open.
func splitStatements(text string) (stmts []string, rest string) {
	start := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"' || c == '`':
			j := strings.IndexByte(text[i+1:], c)
			if j < 0 {
				return stmts, text[start:] // the quote closes on a later line
			}
			i += j + 1
		case c == '-' && strings.HasPrefix(text[i:], "--"):
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				return stmts, text[start:]
			}
			i += j
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			j := strings.Index(text[i+2:], "*/")
			if j < 0 {
				return stmts, text[start:]
			}
			i += j + 3
		case c == ';':
			if s := strings.TrimSpace(text[start:i]); s != "" && !onlyComments(s) {
				stmts = append(stmts, s)
			}
			start = i + 1
		}
	}
	return stmts, text[start:]
}

// onlyComments says whether a statement holds nothing but -- comments.
func onlyComments(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return true
}

// isTerminal says whether f is a character device (a terminal, not a pipe
// or a file).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
