using Microsoft.Extensions.DependencyInjection;
using PeerManagement;
using PeerManagement.Redis;

var services = new ServiceCollection();
services.AddPeerManagement(options => options.SeedPeers.Add("electrum.example.org s t"));
using var provider = services.BuildServiceProvider();

// No chain view registered: the manager still resolves (discovery would stay off) and takes an admin add.
var manager = provider.GetRequiredService<PeerManager>();
var added = await manager.AddPeerAsync("electrum.example.org s t", CancellationToken.None);
Console.WriteLine($"consumer: {manager.GetInfo().Total} peer(s) noted through the packed library ({added})");

// The scale-out package resolves with its Redis client (registering it opens no connection until resolved).
new ServiceCollection().AddPeerManagement().UseRedis("127.0.0.1:1", redis => redis.KeyPrefix = "consumer");
Console.WriteLine($"consumer: PeerManagement.Redis loads (default key prefix '{new PeerManagementRedisOptions().KeyPrefix}')");
return manager.GetInfo().Total == 1 && added == PeerNoteResult.Added ? 0 : 1;
