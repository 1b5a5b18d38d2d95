using Microsoft.Extensions.DependencyInjection;
using PeerManagement;

var services = new ServiceCollection();
services.AddPeerManagement(options => options.SeedPeers.Add("electrum.example.org s t"));
using var provider = services.BuildServiceProvider();

var table = provider.GetRequiredService<PeerTable>();
table.Note(PeerRealName.Parse("electrum.example.org s t", DefaultPorts.BitcoinMainnet), PeerSources.Seed, checkPorts: false);
Console.WriteLine($"consumer: {table.GetInfo().Total} peer(s) noted through the packed library");
return table.GetInfo().Total == 1 ? 0 : 1;
