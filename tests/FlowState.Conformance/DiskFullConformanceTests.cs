using System.Diagnostics;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A write that the disk cannot take: the store's storage lives on a small tmpfs of its own, writes go on until the
/// disk is full, and the failing write must surface as <see cref="StateBackendException"/> without being acknowledged,
/// while everything acknowledged before it is still there when the storage is opened again. Mounting needs root (as
/// the test command runs on CI); <c>FLOWSTATE_SMALL_DISK</c> may name an already mounted small filesystem instead.
/// </summary>
public abstract class DiskFullConformanceTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private string? _mountPoint;
    private bool _mounted;

    /// <summary>A backend over <paramref name="path"/> (a file or a directory, as the backend uses it).</summary>
    protected abstract IStateBackend CreateBackend(string path);

    /// <summary>Copies the storage at <paramref name="source"/> to <paramref name="destination"/>, byte for byte.</summary>
    protected abstract void CopyStorage(string source, string destination);

    /// <summary>The size of the small disk: room for the empty storage and some writes, not for many.</summary>
    protected virtual long DiskBytes => 2L << 20;

    /// <summary>What the test holds back on the small disk and frees after the failure, before it reopens in place.</summary>
    protected virtual int BallastBytes => 512 << 10;

    public async Task InitializeAsync()
    {
        _mountPoint = Environment.GetEnvironmentVariable("FLOWSTATE_SMALL_DISK");
        if (string.IsNullOrEmpty(_mountPoint))
        {
            _mountPoint = _directory.File("small-disk");
            Directory.CreateDirectory(_mountPoint);
            var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={DiskBytes}", "tmpfs", _mountPoint);
            Assert.True(code == 0, $"mounting a {DiskBytes}-byte tmpfs for the disk-full test failed ({output.Trim()}); run as root, or set FLOWSTATE_SMALL_DISK to a small mounted filesystem");
            _mounted = true;
        }
    }

    public async Task DisposeAsync()
    {
        if (_mounted)
        {
            await RunAsync("umount", _mountPoint!);
        }

        _directory.Dispose();
    }

    [Theory]
    [InlineData(Durability.Process)]
    [InlineData(Durability.Machine)]
    public async Task Full_disk_fails_the_write_as_a_backend_error_and_keeps_what_was_acknowledged(Durability durability)
    {
        var path = Path.Combine(_mountPoint!, "store-" + durability);
        // Space held back from the start and given back after the failure: the store must reopen in place then.
        var ballast = Path.Combine(_mountPoint!, "ballast-" + durability);
        await File.WriteAllBytesAsync(ballast, new byte[BallastBytes]);
        var acknowledged = new Dictionary<string, string>(StringComparer.Ordinal);
        var payload = new string('x', 16 * 1024);
        StateBackendException? failure = null;
        var backend = CreateBackend(path);
        var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = durability });
        var backendAccepted = false;
        try
        {
            for (var i = 0; i < 100_000 && failure is null; i++)
            {
                var key = "k" + (i % 500);
                var value = $"{i}:{payload}";
                try
                {
                    await store.SetAsync(key, value);
                    acknowledged[key] = value;
                }
                catch (StateBackendException ex)
                {
                    failure = ex;
                }
            }

            Assert.True(failure is not null, $"the disk never filled after {acknowledged.Count} keys");
            Assert.Contains(path, failure!.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<StateBackendException>(async () => await store.SetAsync("after", 1));

            // Memory is as the disk holds it: the write that failed is not served to readers.
            foreach (var key in Enumerable.Range(0, 500).Select(i => "k" + i))
            {
                Assert.Equal(acknowledged.GetValueOrDefault(key), await store.GetAsync<string>(key));
            }

            // The backend itself, still on the full disk, either refuses a write or keeps it: it never acknowledges
            // one it did not store.
            try
            {
                await backend.ApplyAsync([BackendChange.Upsert(new BackendEntry(StateScope.Global.StorageKey, "direct", "1"u8.ToArray(), 1_000_000, 0, 0, false))], durability, CancellationToken.None);
                backendAccepted = true;
            }
            catch (StateBackendException)
            {
            }
        }
        finally
        {
            try
            {
                await store.DisposeAsync();
            }
            catch (StateException)
            {
                // Closing may fail to flush on the full disk; what counts is what the storage holds.
            }
        }

        Assert.NotEmpty(acknowledged);
        var copy = _directory.File("copy-" + durability);
        CopyStorage(path, copy);
        await using (var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(copy) }))
        {
            foreach (var (key, value) in acknowledged)
            {
                Assert.Equal(value, await reopened.GetAsync<string>(key));
            }

            Assert.False(await reopened.ExistsAsync("after"));
            Assert.Equal(backendAccepted, await reopened.ExistsAsync("direct"));
        }

        // With the held-back space free again, the store opens where it is and takes writes.
        File.Delete(ballast);
        await using (var inPlace = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path), Durability = durability }))
        {
            foreach (var (key, value) in acknowledged)
            {
                Assert.Equal(value, await inPlace.GetAsync<string>(key));
            }

            await inPlace.SetAsync("after-space-freed", 1);
        }

        await using var again = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        Assert.Equal(1, await again.GetAsync<int>("after-space-freed"));
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
