using System.Globalization;
using Microsoft.Extensions.Options;
using PeerManagement;

// Usage: PeerManagement.Storage.CrashChild <store file> <first generation>
// Saves generation after generation of a table to the file store, printing "saving N" before and "saved N"
// after each save, until it is killed. Generation N has CrashTable.CountOf(N) peers, each with source "gN".
if (args.Length != 2 || !long.TryParse(args[1], CultureInfo.InvariantCulture, out var generation))
{
    Console.Error.WriteLine("usage: PeerManagement.Storage.CrashChild <store file> <first generation>");
    return 2;
}

var store = new FilePeerStore(Options.Create(new PeerStoreOptions { Path = args[0] }), TimeProvider.System);
for (; ; generation++)
{
    var table = CrashTable.Build(generation);
    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"saving {generation}"));
    await store.SaveAsync(table, CancellationToken.None);
    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"saved {generation}"));
}
