namespace Ravioli.Cli.Output;

/// <summary>Prints rows under a header with columns padded to line up, the way cf prints its lists.</summary>
internal static class TablePrinter
{
    private const string Gap = "   ";

    /// <param name="indent">Put before every line, for a table under a heading (cf's <c>broker: NAME</c> groups).</param>
    public static void Write(TextWriter writer, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string indent = "")
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = new int[headers.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], Cell(row, i).Length);
            }
        }

        foreach (var row in all)
        {
            var cells = Enumerable.Range(0, widths.Length).Select(i => Cell(row, i).PadRight(widths[i]));

            // Padding the last column would only leave trailing spaces that break copy-and-paste.
            writer.WriteLine(indent + string.Join(Gap, cells).TrimEnd());
        }
    }

    private static string Cell(IReadOnlyList<string> row, int index) => index < row.Count ? row[index] : string.Empty;
}
