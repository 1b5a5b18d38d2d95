using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PeerManagement;

// The sample node: for now it builds the table from its seeds and prints what it holds.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddPeerManagement(options =>
{
    options.SeedPeers.Add("electrum.blockstream.info s t");
    options.SeedPeers.Add("electrum.emzy.de s t");
    options.SeedPeers.Add("fortress.qtornado.com s t");
}).UseFileStore("peers.json"); // kept across restarts, in the current directory (see docs/storage.md)

using var host = builder.Build();
await host.StartAsync();

var table = host.Services.GetRequiredService<PeerTable>();
var options = host.Services.GetRequiredService<IOptions<PeerManagementOptions>>().Value;
foreach (var seed in options.SeedPeers)
{
    table.Note(PeerRealName.Parse(seed, options.DefaultPorts), PeerSources.Seed, checkPorts: false);
}

var info = table.GetInfo();
Console.WriteLine($"peers: {info.Total} (good {info.Good}, stale {info.Stale}, never {info.Never}, bad {info.Bad})");
foreach (var peer in table.GetPeers())
{
    Console.WriteLine($"  {peer.Peer.RealName.Format(options.DefaultPorts),-40} {peer.Status,-6} from {peer.Peer.Source}");
}

await host.StopAsync();
