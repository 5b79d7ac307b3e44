namespace FlowState.Conformance;

/// <summary>What the SIGKILL suites share: the backend the harness is told to use, a backend over its storage, the kill count.</summary>
public abstract class CrashTestBase : IDisposable
{
    /// <summary>Where the harness's storage lives; removed after the test.</summary>
    protected TemporaryDirectory Directory { get; } = new();

    /// <summary>The backend's name on the harness's command line (<c>sqlite</c>, <c>rocksdb</c>).</summary>
    protected abstract string HarnessBackend { get; }

    /// <summary>
    /// The number of kills: <c>FLOWSTATE_CRASH_KILLS</c>, default 10 (<c>scripts/crash-test.sh N</c> sets it). Each kill
    /// starts a child process (0.3 s on SQLite, 0.7 s on RocksDB, idle): at 20 the kill loops were half of the test
    /// command's time, so it runs 10 and longer loops run on demand.
    /// </summary>
    protected static int Kills => LoopCounts.FromEnvironment("FLOWSTATE_CRASH_KILLS", 10);

    /// <summary>A backend over <paramref name="path"/>, the same storage the harness wrote.</summary>
    protected abstract IStateBackend CreateBackend(string path);

    public void Dispose()
    {
        Directory.Dispose();
        GC.SuppressFinalize(this);
    }
}
