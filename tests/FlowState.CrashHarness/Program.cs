// The child of the crash test: opens a store on a SQLite file or RocksDB directory and runs random writes forever,
// one at a time, printing "BEGIN <id> <op> <keys...>" before each and "ACK <id>" once the store acknowledged it. The
// parent kills it with SIGKILL at a random moment and checks the reopened storage against the acknowledged operations.
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> <Process|Machine> <seed> <first-op-id>
using FlowState;
using FlowState.RocksDb;
using FlowState.Sqlite;

var path = args[1];
IStateBackend backend = args[0] switch
{
    "sqlite" => new SqliteStateBackend(path),
    "rocksdb" => new RocksDbStateBackend(path),
    _ => throw new ArgumentException($"unknown backend '{args[0]}': use sqlite or rocksdb"),
};
var durability = Enum.Parse<Durability>(args[2]);
var random = new Random(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
var id = long.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
var output = Console.Out;

await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = durability });
var scope = store.For(StateScope.Workflow("crash"));
output.WriteLine("READY");
output.Flush();

string Key() => "k" + random.Next(32);

while (true)
{
    id++;
    switch (random.Next(4))
    {
        case 0:
        {
            var key = Key();
            output.WriteLine($"BEGIN {id} set {key}");
            output.Flush();
            await scope.SetAsync(key, new { v = id });
            break;
        }

        case 1:
        {
            var key = Key();
            output.WriteLine($"BEGIN {id} merge {key}");
            output.Flush();
            await scope.MergeAsync(key, new { m = id });
            break;
        }

        case 2:
        {
            var key = Key();
            output.WriteLine($"BEGIN {id} delete {key}");
            output.Flush();
            await scope.DeleteAsync(key);
            break;
        }

        default:
        {
            var (a, b, c) = (Key(), Key(), Key());
            output.WriteLine($"BEGIN {id} batch {a} {b} {c}");
            output.Flush();
            await scope.ApplyAsync(scope.CreateBatch().Set(a, new { v = id }).Set(b, new { v = id }).Delete(c));
            break;
        }
    }

    output.WriteLine($"ACK {id}");
    output.Flush();
}
