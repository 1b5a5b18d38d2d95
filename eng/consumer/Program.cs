using Microsoft.Extensions.DependencyInjection;
using PeerManagement;

var services = new ServiceCollection();
services.AddPeerManagement(options => options.SeedPeers.Add("electrum.example.org s t"));
using var provider = services.BuildServiceProvider();

// No chain view registered: the manager still resolves (discovery would stay off) and takes an admin add.
var manager = provider.GetRequiredService<PeerManager>();
var added = await manager.AddPeerAsync("electrum.example.org s t", CancellationToken.None);
Console.WriteLine($"consumer: {manager.GetInfo().Total} peer(s) noted through the packed library ({added})");
return manager.GetInfo().Total == 1 && added == PeerNoteResult.Added ? 0 : 1;
