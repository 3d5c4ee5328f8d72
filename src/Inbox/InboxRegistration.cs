using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Apis;
using Crm.Inbox.Assignment;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Customers.Import;
using Crm.Inbox.Replies;
using Crm.Inbox.Segments;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Mongo;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MongoDB.Driver;

namespace Crm.Inbox;

public static class InboxRegistration
{
    public static IServiceCollection AddSqliteInboxStore(this IServiceCollection services, string connectionString)
        // A factory, so the container disposes the store (and its writer connection) at shutdown.
        => services.AddSingleton<IInboxStore>(_ => new SqliteInboxStore(connectionString)).AddStoreInitializer();

    public static IServiceCollection AddMongoInboxStore(this IServiceCollection services, string connectionString)
    {
        var url = MongoUrl.Create(connectionString);
        var database = new MongoClient(url).GetDatabase(url.DatabaseName ?? "crm");
        return services.AddSingleton<IInboxStore>(new MongoInboxStore(database)).AddStoreInitializer();
    }

    private static IServiceCollection AddStoreInitializer(this IServiceCollection services)
        => services.AddSingleton<StoreInitialization>().AddHostedService<InboxStoreInitializer>();

    /// <summary>Services the inbox's consumers and agent API need, in whichever process hosts them.</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.AddSingleton<AgentNotifier>();
        services.AddSingleton<ConversationPresence>();
        services.AddSignalR();
        // The reply outbox: both stores implement it on the same messages they keep.
        services.AddSingleton(provider => (IReplyOutbox)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ILabelStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ICannedReplyStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ICustomerProfileStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ICustomerImportStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ICustomerConsentStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ISegmentStore)provider.GetRequiredService<IInboxStore>());
        services.AddOptions<SegmentOptions>().BindConfiguration(SegmentOptions.Section)
            .Validate(options => options.BulkBatchSize is >= 1 and <= 5_000, $"{SegmentOptions.Section}:BulkBatchSize must be between 1 and 5000.");
        services.AddSingleton<SegmentBulkJobs>();
        services.AddSingleton(provider => (ICustomerAttributeDefinitionStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ILifecycleStageStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ICustomerLabelStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (ICustomerMergeStore)provider.GetRequiredService<IInboxStore>());
        services.AddOptions<CustomerMergeOptions>().BindConfiguration(CustomerMergeOptions.Section);
        services.AddSingleton<CustomerMerging>();
        services.AddSingleton(provider => (ITeamStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (IAssignmentStore)provider.GetRequiredService<IInboxStore>());
        services.AddSingleton(provider => (IAgentPresenceStore)provider.GetRequiredService<IInboxStore>());
        services.AddOptions<ReplyOutboxOptions>().BindConfiguration(ReplyOutboxOptions.Section);
        services.AddSingleton<ReplyDispatchSignal>();
        services.AddHostedService<ReplyDispatcher>();
        services.AddHostedService<ReplyGiveUpSweeper>();
        services.AddOptions<ConversationOptions>().BindConfiguration(ConversationOptions.Section);
        services.AddHostedService<SnoozeWaker>();
        // The assignment engine runs in every process that has the store; they coordinate through it.
        services.AddOptions<AssignmentOptions>().BindConfiguration(AssignmentOptions.Section)
            .Validate(options => AssignmentPolicies.All.Contains(options.WorkspacePolicy),
                $"{AssignmentOptions.Section}:WorkspacePolicy must be one of {string.Join(", ", AssignmentPolicies.All)}.")
            .Validate(options => options.WorkspaceMaxOpenPerAgent is >= 1 and <= TeamRules.MaxCapacity,
                $"{AssignmentOptions.Section}:WorkspaceMaxOpenPerAgent must be between 1 and {TeamRules.MaxCapacity}.")
            .ValidateOnStart();
        services.AddSingleton<AssignmentSignal>();
        services.AddSingleton<AssignmentEngine>();
        services.AddSingleton<AssignmentDesk>();
        services.AddHostedService<AssignmentWorker>();
        services.AddSingleton<PresenceTracker>();
        services.AddSignalR().AddHubOptions<InboxHub>(options => options.AddFilter<PresenceTracker>());
        services.AddHostedService<PresenceHeartbeat>();
        // Customer CSV imports run in every inbox process; a lease on the job keeps it to one at a time.
        services.AddOptions<CustomerImportOptions>().BindConfiguration(CustomerImportOptions.Section)
            .Validate(options => options.ChunkSize is >= 1 and <= 5000, $"{CustomerImportOptions.Section}:ChunkSize must be between 1 and 5000.")
            .ValidateOnStart();
        services.AddSingleton<CustomerImportSignal>();
        services.AddSingleton<CustomerImportWorkspace>();
        services.AddHostedService<CustomerImportWorker>();
        return services;
    }

    public static IBusRegistrationConfigurator AddInboxConsumers(this IBusRegistrationConfigurator bus)
    {
        // The queues publishers declare ahead of any inbox process (InboxQueues): names must match.
        bus.AddConsumer<InboundMessageReceivedConsumer, InboundMessageReceivedConsumerDefinition>()
            .Endpoint(endpoint => endpoint.Name = InboxQueues.InboundMessages);
        bus.AddConsumer<DeliveryStatusConsumer>()
            .Endpoint(endpoint => endpoint.Name = InboxQueues.DeliveryStatuses);
        bus.AddConsumer<AgentDeactivatedConsumer>();
        return bus;
    }

    public static IEndpointRouteBuilder MapInbox(this IEndpointRouteBuilder app)
    {
        app.MapConversationsApi();
        app.MapReplyWindowsApi();
        app.MapLabelsApi();
        app.MapCannedRepliesApi();
        app.MapTeamsApi();
        app.MapAssignmentApi();
        app.MapSearchApi();
        app.MapCustomersApi();
        app.MapConsentApi();
        app.MapSegmentsApi();
        app.MapCustomerAttributesApi();
        app.MapLifecycleStagesApi();
        app.MapCustomerLabelsApi();
        app.MapCustomerTimelineApi();
        app.MapCustomerMergeApi();
        app.MapCustomerImportsApi();
        // A connection whose token expires is closed: pushes stop with the agent's right to see them.
        app.MapHub<InboxHub>(InboxHub.Path, options => options.CloseOnAuthenticationExpiration = true);
        return app;
    }

    /// <summary>
    /// Creates tables and indexes. A store that cannot be reached at start does not stop the process from
    /// starting (it reports not ready, <see cref="StoreInitialization"/>): the initializer keeps trying in the
    /// background, and consumers wait for it, so nothing is written before the unique indexes exist.
    /// </summary>
    private sealed class InboxStoreInitializer(IInboxStore store, StoreInitialization initialization, ILogger<InboxStoreInitializer> logger)
        : SetUpUntilReachable(logger)
    {
        protected override string What => "The inbox store";

        protected override async Task SetUpAsync(CancellationToken ct)
        {
            await store.InitializeAsync(ct);
            initialization.Completed();
        }
    }
}

/// <summary>Whether the store's tables and indexes exist yet: readiness reports it and consumers wait for it.</summary>
public sealed class StoreInitialization
{
    private readonly TaskCompletionSource completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsCompleted => completed.Task.IsCompleted;

    public Task WaitAsync(CancellationToken ct) => completed.Task.WaitAsync(ct);

    internal void Completed() => completed.TrySetResult();
}
