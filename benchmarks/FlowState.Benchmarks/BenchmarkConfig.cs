using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace FlowState.Benchmarks;

/// <summary>
/// Short, repeatable runs (3 warm-ups, 7 measured iterations) grouped by category so that every FlowState row has
/// its baseline, measured in the same run, and the Ratio column is FlowState time / baseline time. The quick variant
/// (<c>scripts/bench.sh --quick</c>) runs in process with one warm-up and three 100 ms iterations: the same pairs,
/// noisier numbers, a few minutes for the whole suite.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
        : this(quick: false)
    {
    }

    private BenchmarkConfig(bool quick)
    {
        AddJob(quick
            ? Job.Default.WithWarmupCount(1).WithIterationCount(3).WithIterationTime(TimeInterval.FromMilliseconds(100)).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance)
            : Job.Default.WithWarmupCount(3).WithIterationCount(7).WithLaunchCount(1));
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddColumn(CategoriesColumn.Default, StatisticColumn.Median);
        AddExporter(MarkdownExporter.GitHub, CsvExporter.Default);
        AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default);
        WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Value));
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
        WithOptions(ConfigOptions.JoinSummary);
    }

    /// <summary>The quick variant: in process, one warm-up, three 100 ms iterations.</summary>
    public static BenchmarkConfig Quick() => new(quick: true);
}
