using Microsoft.Extensions.DependencyInjection;

namespace PeerManagement;

/// <summary>Returned by <see cref="PeerManagementServiceCollectionExtensions.AddPeerManagement"/> to replace the defaults.</summary>
public interface IPeerManagementBuilder
{
    /// <summary>The service collection the library is registered in.</summary>
    IServiceCollection Services { get; }
}
