using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PeerManagement;

public static partial class PeerManagementServiceCollectionExtensions
{
    static partial void AddTransport(IServiceCollection services)
    {
        services.TryAddSingleton<IJsonRpcSessionFactory, JsonRpcSessionFactory>();
    }
}
