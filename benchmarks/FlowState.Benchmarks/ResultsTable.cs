using System.Text;

namespace FlowState.Benchmarks;

/// <summary>
/// How a harness reports: its rows under a header as a Markdown table, printed, and written to the file that
/// <c>scripts/bench.sh</c> copies into its report (<c>{harness}-results.md</c> in the harness's folder).
/// </summary>
internal static class ResultsTable
{
    public static void Print(string header, IEnumerable<string> rows, string output)
    {
        var columns = header.Count(c => c == '|') - 1;
        var table = new StringBuilder().AppendLine(header).Append('|').AppendLine(string.Concat(Enumerable.Repeat("---|", columns)));
        foreach (var row in rows)
        {
            table.AppendLine(row);
        }

        Console.WriteLine();
        Console.WriteLine(table);
        File.WriteAllText(output, table.ToString());
        Console.WriteLine($"written to {output}");
    }
}
