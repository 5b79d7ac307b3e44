// The child of the crash test: opens a SQLite-backed store and runs random writes forever, one at a time,
// printing "BEGIN <id> <op> <keys...>" before each and "ACK <id>" once the store acknowledged it. The parent kills
// it with SIGKILL at a random moment and checks the reopened file against the acknowledged operations.
//   dotnet FlowState.CrashHarness.dll <db-path> <Process|Machine> <seed> <first-op-id>
using FlowState;
using FlowState.Sqlite;

var path = args[0];
var durability = Enum.Parse<Durability>(args[1]);
var random = new Random(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
var id = long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
var output = Console.Out;

await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path), Durability = durability });
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
