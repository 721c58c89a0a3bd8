package webhookexporter

// writeLines writes lines in one run, as giveUp does, and returns how many
// were written and why the first refused one was not.
func writeLines(w *deadLetterWriter, lines [][]byte) (int, string, error) {
	f := w.open()
	n := 0
	var cause string
	var err error
	for _, l := range lines {
		if cause, err = f.write(l); err != nil {
			break
		}
		n++
	}
	if cerr := f.close(); cerr != nil {
		return 0, writeFailedError, cerr
	}
	return n, cause, err
}
