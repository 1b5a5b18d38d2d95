using Microsoft.Extensions.DependencyInjection;

namespace PeerManagement;

internal sealed class PeerManagementBuilder(IServiceCollection services) : IPeerManagementBuilder
{
    public IServiceCollection Services { get; } = services;
}
