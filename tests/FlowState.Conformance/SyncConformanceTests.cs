using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// What <see cref="Durability.Machine"/> promises, checked at the system call: an embedded backend's writes at Machine
/// reach the disk (fsync/fdatasync, counted with strace around the crash harness), and at Process they do not each.
/// </summary>
public abstract class SyncConformanceTests : CrashTestBase
{
    [Theory]
    [InlineData(Durability.Machine)]
    [InlineData(Durability.Process)]
    public async Task Machine_durability_syncs_every_acknowledged_write_to_disk_and_Process_does_not(Durability durability)
    {
        // Counted at the system call, so a backend that stops syncing at Machine fails here even though no kill test
        // (a kill leaves the page cache intact) could notice.
        const int Writes = 200;
        var trace = Directory.File($"syncs-{durability}.strace");
        using var harness = await CrashHarnessProcess.StartTracingSyncsAsync(trace, HarnessBackend, Directory.File($"syncs-{durability}"), "syncs", durability.ToString(), Writes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (code, killed, lines) = await harness.ExitOrKillAsync(CrashHarnessProcess.ProgressTimeout);
        Assert.True(code == 0 && !killed && lines.Contains("DONE"), $"the traced harness did not finish (exit {code}): {await harness.ErrorsAsync()}");
        var syncs = File.ReadLines(trace).Count(line => line.Contains(" fsync(", StringComparison.Ordinal) || line.Contains(" fdatasync(", StringComparison.Ordinal));
        if (durability == Durability.Machine)
        {
            Assert.True(syncs >= Writes, $"{Writes} writes acknowledged at Machine made only {syncs} fsync/fdatasync calls");
        }
        else
        {
            Assert.True(syncs < Writes / 4, $"{Writes} writes at Process made {syncs} fsync/fdatasync calls: Process should not sync each write");
        }
    }
}
