using BenchmarkDotNet.Running;
using PeerManagement.Benchmarks.Peers;

// Run all: dotnet run -c Release --project benchmarks/PeerManagement.Benchmarks -- --filter '*'
// Retained memory per table entry: dotnet run -c Release --project benchmarks/PeerManagement.Benchmarks -- memory
if (args is ["memory"])
{
    PeerTableMemory.Run();
    return;
}

// Redis memory per rate-limit key and per shared peer (needs redis-server): ... -- redis-memory
if (args is ["redis-memory"])
{
    PeerManagement.Benchmarks.Redis.RedisMemory.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
