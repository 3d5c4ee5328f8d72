using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Crm.Connectors.WeChat;

public static class WeChatRegistration
{
    /// <summary>
    /// The WeChat connection type, sender and media source. Access tokens are shared through Redis when the host
    /// registered an <see cref="IConnectionMultiplexer"/> (Distributed mode), else kept in this process's memory.
    /// </summary>
    public static IServiceCollection AddWeChatConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WeChatOptions>().Bind(configuration.GetSection(WeChatOptions.Section));
        services.AddHttpClient<WeChatApiClient>((provider, http) => http.Timeout = provider.GetRequiredService<IOptions<WeChatOptions>>().Value.RequestTimeout)
            // WeChat's URLs carry the access token, and the AppSecret when fetching one: never logged.
            .RemoveAllLoggers();
        services.AddSingleton<IWeChatTokenStore>(provider => provider.GetService<IConnectionMultiplexer>() is { } redis
            ? new RedisWeChatTokenStore(redis)
            : new MemoryWeChatTokenStore(provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<WeChatAccessTokens>();
        services.AddSingleton<IWeChatUnionIdStore>(provider => provider.GetService<IConnectionMultiplexer>() is { } redis
            ? new RedisWeChatUnionIdStore(redis)
            : new MemoryWeChatUnionIdStore(provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<WeChatUnionIds>();
        services.AddSingleton<IChannelConnectionType, WeChatConnectionType>();
        services.AddSingleton<IChannelSender, WeChatSender>();
        services.AddSingleton<IChannelMediaSource, WeChatMediaSource>();
        return services;
    }
}
