using BenchmarkDotNet.Running;
using PeerManagement.Benchmarks.Peers;

// Run all: dotnet run -c Release --project benchmarks/PeerManagement.Benchmarks -- --filter '*'
// Retained memory per table entry: dotnet run -c Release --project benchmarks/PeerManagement.Benchmarks -- memory
if (args is ["memory"])
{
    PeerTableMemory.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
