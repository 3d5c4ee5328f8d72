using Crm.Contracts;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Customers.Import;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="ICustomerImportStore"/> adapter must do: keep the job and its file for any process, lease a job to
/// one worker, and apply a chunk of rows together with the checkpoint, all or nothing, so no row is ever applied twice.
/// </summary>
public abstract class CustomerImportStoreContract
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f1");
    private static readonly Guid Agent = Guid.Parse("a9e00000-0000-4000-8000-000000000001");
    private static readonly string[] Headers = ["Name", "Phone", "Email"];

    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>A second store on the data of the last one <see cref="CreateStoreAsync"/> made, as another process would open it.</summary>
    protected abstract Task<IInboxStore> OpenAgainAsync();

    private static ICustomerImportStore Imports(IInboxStore store) => (ICustomerImportStore)store;
    private static ICustomerProfileStore Profiles(IInboxStore store) => (ICustomerProfileStore)store;
    private static ICustomerMergeStore Merges(IInboxStore store) => (ICustomerMergeStore)store;

    private static CustomerImport NewImport(Guid? workspace = null, int total = 3) => new(Guid.NewGuid(), workspace ?? Workspace, Agent, T0, "customers.csv",
        42, ",", Headers, [["Ann", "+8613800138000", "ann@example.com"]], new Dictionary<string, string?> { ["Name"] = "name", ["Phone"] = "phone" },
        total, ImportStatuses.Mapping, null, 1, ImportCounters.Zero, null, null, null);

    private static ImportMapping Mapping(string on = DedupeKeys.Phone, string whenFound = WhenFound.Update)
        => new(new Dictionary<string, string?> { ["Name"] = "name", ["Phone"] = "phone", ["Email"] = "email" }, new DedupeRule(on, whenFound), "CN");

    private static ImportRecord Row(int number, string? name, string? phone = null, string? email = null, string? whatsApp = null, string? company = null) => new()
    {
        RowNumber = number,
        Cells = [name ?? "", phone ?? "", email ?? ""],
        Fields = new CustomerProfileFields
        {
            Name = name,
            Company = company,
            Phones = phone is null ? [] : [new ContactPhone(phone, false)],
            Emails = email is null ? [] : [new ContactEmail(email, false)],
        },
        WhatsApp = whatsApp,
    };

    private static ImportChunk Chunk(CustomerImport import, string worker, int from, int next, IReadOnlyList<ImportRecord> records,
        IReadOnlyList<ImportRejection>? rejections = null, DedupeRule? dedupe = null)
        => new(import.Id, import.WorkspaceId, worker, from, next, dedupe ?? import.Mapping?.Dedupe ?? Mapping().Dedupe, Agent, records, rejections ?? [],
            T0.AddMinutes(1), T0.AddMinutes(2));

    /// <summary>An import started and claimed by <paramref name="worker"/>, ready for chunks.</summary>
    private static async Task<CustomerImport> RunningAsync(IInboxStore store, ImportMapping? mapping = null, string worker = "worker-1", int total = 3)
    {
        var import = NewImport(total: total);
        await Imports(store).CreateImportAsync(import, "Name,Phone,Email\n"u8.ToArray());
        await Imports(store).SaveImportMappingAsync(Workspace, import.Id, mapping ?? Mapping());
        await Imports(store).StartImportAsync(Workspace, import.Id, T0);
        var claimed = await Imports(store).ClaimImportAsync(worker, T0, T0.AddMinutes(1));
        Assert.Equal(import.Id, claimed?.Id);
        return claimed!;
    }

    [SkippableFact]
    public async Task An_import_and_its_file_are_kept_whole_for_another_process_to_read()
    {
        var store = await CreateStoreAsync();
        // Larger than one stored chunk of the file, and not a multiple of it.
        var file = Enumerable.Range(0, 2_500_000).Select(i => (byte)('a' + i % 26)).ToArray();
        var import = NewImport();
        await Imports(store).CreateImportAsync(import, file);

        var other = await OpenAgainAsync();
        var read = await Imports(other).GetImportAsync(Workspace, import.Id);
        Assert.NotNull(read);
        Assert.Equal(ImportStatuses.Mapping, read.Status);
        Assert.Equal(Headers, read.Headers);
        Assert.Equal("+8613800138000", read.Preview[0][1]);
        Assert.Equal("phone", read.SuggestedMapping["Phone"]);
        Assert.Null(read.SuggestedMapping.GetValueOrDefault("Email"));
        Assert.Equal(file, await Imports(other).ReadImportFileAsync(import.Id));
    }

    [SkippableFact]
    public async Task Another_workspace_never_sees_nor_changes_an_import()
    {
        var store = await CreateStoreAsync();
        var import = NewImport();
        await Imports(store).CreateImportAsync(import, "Name\nAnn\n"u8.ToArray());
        await Imports(store).CreateImportAsync(NewImport(OtherWorkspace), "Name\nBob\n"u8.ToArray());

        Assert.Null(await Imports(store).GetImportAsync(OtherWorkspace, import.Id));
        Assert.Equal([import.Id], (await Imports(store).ListImportsAsync(Workspace, 10)).Select(i => i.Id));
        Assert.Equal(ImportChangeOutcome.NotFound, (await Imports(store).SaveImportMappingAsync(OtherWorkspace, import.Id, Mapping())).Outcome);
        Assert.Equal(ImportChangeOutcome.NotFound, (await Imports(store).StartImportAsync(OtherWorkspace, import.Id, T0)).Outcome);
        Assert.Equal(ImportChangeOutcome.NotFound, (await Imports(store).CancelImportAsync(OtherWorkspace, import.Id, T0)).Outcome);
        Assert.Equal(ImportStatuses.Mapping, (await Imports(store).GetImportAsync(Workspace, import.Id))!.Status);
    }

    [SkippableFact]
    public async Task A_workspace_lists_its_imports_newest_first()
    {
        var store = await CreateStoreAsync();
        var older = NewImport() with { CreatedAt = T0 };
        var newer = NewImport() with { CreatedAt = T0.AddHours(1) };
        await Imports(store).CreateImportAsync(older, "Name\n"u8.ToArray());
        await Imports(store).CreateImportAsync(newer, "Name\n"u8.ToArray());

        Assert.Equal([newer.Id, older.Id], (await Imports(store).ListImportsAsync(Workspace, 10)).Select(i => i.Id));
        Assert.Equal([newer.Id], (await Imports(store).ListImportsAsync(Workspace, 1)).Select(i => i.Id));
    }

    [SkippableFact]
    public async Task An_import_starts_only_with_a_mapping_and_its_mapping_is_fixed_once_started()
    {
        var store = await CreateStoreAsync();
        var import = NewImport();
        await Imports(store).CreateImportAsync(import, "Name\n"u8.ToArray());

        Assert.Equal(ImportChangeOutcome.WrongStatus, (await Imports(store).StartImportAsync(Workspace, import.Id, T0)).Outcome);
        var mapped = await Imports(store).SaveImportMappingAsync(Workspace, import.Id, Mapping(DedupeKeys.Email, WhenFound.Skip));
        Assert.Equal(ImportChangeOutcome.Changed, mapped.Outcome);
        Assert.Equal(new DedupeRule(DedupeKeys.Email, WhenFound.Skip), mapped.Import!.Mapping!.Dedupe);
        Assert.Equal("phone", mapped.Import.Mapping.Columns["Phone"]);
        Assert.Equal("CN", mapped.Import.Mapping.DefaultCountry);

        var started = await Imports(store).StartImportAsync(Workspace, import.Id, T0);
        Assert.Equal(ImportStatuses.Queued, started.Import!.Status);
        Assert.Equal(ImportChangeOutcome.WrongStatus, (await Imports(store).SaveImportMappingAsync(Workspace, import.Id, Mapping())).Outcome);
        Assert.Equal(ImportChangeOutcome.WrongStatus, (await Imports(store).StartImportAsync(Workspace, import.Id, T0)).Outcome);
    }

    [SkippableFact]
    public async Task A_queued_import_is_leased_to_one_worker_and_another_takes_it_over_only_when_the_lease_ran_out()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store, worker: "first");
        var other = await OpenAgainAsync();

        Assert.Null(await Imports(other).ClaimImportAsync("second", T0.AddSeconds(59), T0.AddMinutes(2)));
        var taken = await Imports(other).ClaimImportAsync("second", T0.AddMinutes(1).AddTicks(1), T0.AddMinutes(3));

        Assert.Equal(import.Id, taken?.Id);
        Assert.Equal(ImportStatuses.Running, taken!.Status);
        // The first worker's chunk after the takeover applies nothing.
        Assert.Null(await Imports(store).ApplyImportChunkAsync(Chunk(import, "first", 1, 2, [Row(1, "Ann", "+8613800138000")])));
        Assert.Empty(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
    }

    [SkippableFact]
    public async Task A_job_claimed_five_times_in_a_row_without_a_chunk_committed_is_failed_instead_of_retried_for_ever()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store);
        var at = T0;
        for (var claim = 2; claim <= ImportStatuses.MaxClaimsWithoutProgress; claim++)
        {
            at = at.AddMinutes(2);
            Assert.Equal(import.Id, (await Imports(store).ClaimImportAsync($"worker-{claim}", at, at.AddMinutes(1)))?.Id);
        }
        // A committed chunk starts the count again.
        Assert.NotNull(await Imports(store).ApplyImportChunkAsync(Chunk(import, $"worker-{ImportStatuses.MaxClaimsWithoutProgress}", 1, 2,
            [Row(1, "Ann", "+8613800138000")])));
        for (var claim = 1; claim <= ImportStatuses.MaxClaimsWithoutProgress; claim++)
        {
            at = at.AddMinutes(10);
            Assert.Equal(import.Id, (await Imports(store).ClaimImportAsync($"again-{claim}", at, at.AddMinutes(1)))?.Id);
        }

        Assert.Null(await Imports(store).ClaimImportAsync("last", at.AddMinutes(10), at.AddMinutes(11)));
        var failed = (await Imports(store).GetImportAsync(Workspace, import.Id))!;
        Assert.Equal((ImportStatuses.Failed, ImportStatuses.TooManyAttempts, 2), (failed.Status, failed.Failure, failed.NextRow));
        Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        Assert.Equal(T0, failed.StartedAt);
    }

    [SkippableFact]
    public async Task A_chunk_creates_updates_and_rejects_rows_and_moves_the_checkpoint_with_its_counts()
    {
        var store = await CreateStoreAsync();
        var known = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+8613800138000"), "Old name", T0);
        var profile = (await Profiles(store).GetProfileAsync(Workspace, known.Id))!;
        await Profiles(store).UpdateProfileAsync(Workspace, known.Id, 0, profile.Fields with
        {
            Phones = [new ContactPhone("+8613800138000", true)], Company = "Acme",
        }, null, T0);
        var import = await RunningAsync(store);

        var after = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 4,
            [Row(1, "Ann", "+8613800138000", "ann@example.com"), Row(3, "Bob", "+8613900139000")],
            [new ImportRejection(2, ["", "12", ""], ["Phone: Must be a valid phone number."])]));

        Assert.NotNull(after);
        Assert.Equal(4, after.NextRow);
        Assert.Equal(new ImportCounters(3, 1, 1, 0, 1), after.Counters);
        var ann = (await Profiles(store).GetProfileAsync(Workspace, known.Id))!;
        Assert.Equal("Ann", ann.Fields.Name);
        // Only mapped, non-empty cells change: the company stays, the email is added.
        Assert.Equal("Acme", ann.Fields.Company);
        Assert.Equal(["ann@example.com"], ann.Fields.Emails.Select(e => e.Address));
        Assert.Equal(["+8613800138000"], ann.Fields.Phones.Select(p => p.Number));
        var history = await Profiles(store).ListProfileChangesAsync(Workspace, known.Id, 10);
        Assert.Contains(history, c => c.Field == "name" && c.To == "Ann" && c.ChangedBy == Agent);
        var all = await Profiles(store).ListProfilesAsync(Workspace, null, 10);
        Assert.Equal(["Ann", "Bob"], all.Select(p => p.Fields.Name));
        var rejected = await Imports(store).ListImportRejectionsAsync(Workspace, import.Id, 0, 10);
        Assert.Equal(2, Assert.Single(rejected).RowNumber);
        Assert.Equal(["Phone: Must be a valid phone number."], rejected[0].Reasons);
        Assert.Equal(["", "12", ""], rejected[0].Cells);
        Assert.Empty(await Imports(store).ListImportRejectionsAsync(OtherWorkspace, import.Id, 0, 10));
    }

    [SkippableFact]
    public async Task A_chunk_replayed_from_an_old_checkpoint_applies_nothing_so_no_row_is_applied_twice()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store);
        var chunk = Chunk(import, "worker-1", 1, 3, [Row(1, "Ann", "+8613800138000"), Row(2, "Bob", "+8613900139000")]);
        Assert.NotNull(await Imports(store).ApplyImportChunkAsync(chunk));

        // A worker that crashed after the commit, before it knew, sends the same chunk again from another process.
        var replay = await Imports(await OpenAgainAsync()).ApplyImportChunkAsync(chunk);

        Assert.Null(replay);
        Assert.Equal(2, (await Profiles(store).ListProfilesAsync(Workspace, null, 10)).Count);
        var now = await Imports(store).GetImportAsync(Workspace, import.Id);
        Assert.Equal(new ImportCounters(2, 2, 0, 0, 0), now!.Counters);
        Assert.Equal(3, now.NextRow);
    }

    [SkippableFact]
    public async Task A_chunk_that_fails_part_way_leaves_neither_its_rows_nor_the_checkpoint()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store);
        var twice = new ImportRejection(3, ["", "", ""], ["The row is empty."]);

        // The rows are written before the rejections; a rejection stored twice fails the chunk after its customers were written.
        await Assert.ThrowsAnyAsync<Exception>(() => Imports(store).ApplyImportChunkAsync(
            Chunk(import, "worker-1", 1, 4, [Row(1, "Ann", "+8613800138000"), Row(2, "Bob", "+8613900139000")], [twice, twice])));

        Assert.Empty(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        Assert.Empty(await Imports(store).ListImportRejectionsAsync(Workspace, import.Id, 0, 10));
        var now = await Imports(store).GetImportAsync(Workspace, import.Id);
        Assert.Equal(1, now!.NextRow);
        Assert.Equal(ImportCounters.Zero, now.Counters);
        // The same chunk, fixed, then applies once.
        Assert.NotNull(await Imports(store).ApplyImportChunkAsync(
            Chunk(import, "worker-1", 1, 4, [Row(1, "Ann", "+8613800138000"), Row(2, "Bob", "+8613900139000")], [twice])));
        Assert.Equal(2, (await Profiles(store).ListProfilesAsync(Workspace, null, 10)).Count);
    }

    [SkippableFact]
    public async Task When_found_skip_leaves_the_customer_untouched_and_counts_the_row_as_skipped()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store, Mapping(DedupeKeys.Email, WhenFound.Skip));
        await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, "Ann", email: "Ann@Example.com")]));

        var after = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 2, 3, [Row(2, "Annie", email: "ann@example.COM")]));

        Assert.Equal(new ImportCounters(2, 1, 0, 1, 0), after!.Counters);
        var only = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        Assert.Equal("Ann", only.Fields.Name);
    }

    [SkippableFact]
    public async Task A_later_row_with_the_same_key_in_the_same_chunk_updates_the_customer_the_earlier_row_created()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store);

        var after = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 3,
            [Row(1, "Ann", "+8613800138000"), Row(2, "Ann Chen", "+8613800138000", "ann@example.com")]));

        Assert.Equal(new ImportCounters(2, 1, 1, 0, 0), after!.Counters);
        var only = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        Assert.Equal("Ann Chen", only.Fields.Name);
        Assert.Equal(["ann@example.com"], only.Fields.Emails.Select(e => e.Address));
    }

    [SkippableFact]
    public async Task An_imported_whatsapp_number_is_the_customers_identity_so_their_next_message_lands_on_the_profile()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store, Mapping(DedupeKeys.Identity));
        await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, "Ann", whatsApp: "+525512345678")]));

        var created = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        var writes = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+525512345678"), "Ann", T0.AddDays(1));

        Assert.Equal(created.Id, writes.Id);
    }

    [SkippableFact]
    public async Task A_row_whose_whatsapp_number_is_another_customers_identity_is_rejected_with_the_reason()
    {
        var store = await CreateStoreAsync();
        var holder = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+8613800138000"), "Holder", T0);
        var import = await RunningAsync(store);

        var after = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, "Ann", "+8613900139000", whatsApp: "+8613800138000")]));

        Assert.Equal(new ImportCounters(1, 0, 0, 0, 1), after!.Counters);
        var rejection = Assert.Single(await Imports(store).ListImportRejectionsAsync(Workspace, import.Id, 0, 10));
        Assert.Contains("another customer", rejection.Reasons[0]);
        Assert.Equal(["Holder"], (await Profiles(store).ListProfilesAsync(Workspace, null, 10)).Select(p => p.Fields.Name));
        Assert.Equal(holder.Id, (await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+8613800138000"), null, T0)).Id);
    }

    [SkippableFact]
    public async Task Imported_consent_is_recorded_with_source_import_and_labels_are_put_on()
    {
        var store = await CreateStoreAsync();
        var vip = new Label(Guid.NewGuid(), Workspace, "VIP", "#ff0000", T0);
        await ((ILabelStore)store).AddLabelAsync(vip);
        var import = await RunningAsync(store);

        await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, "Ann", "+8613800138000") with
        {
            Consents = new Dictionary<string, string> { [Channels.WhatsApp] = ConsentStates.OptedOut },
            Labels = [vip],
        }]));

        var id = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10)).Id;
        var ann = (await Profiles(store).GetProfileAsync(Workspace, id))!;
        var consent = Assert.Single(ann.Consents);
        Assert.Equal((Channels.WhatsApp, ConsentStates.OptedOut, ConsentSources.Import, (Guid?)Agent), (consent.Channel, consent.State, consent.Source, consent.ChangedBy));
        Assert.Equal([vip.Id], ann.LabelIds);
        var history = await Profiles(store).ListProfileChangesAsync(Workspace, id, 10);
        Assert.Contains(history, c => c.Field == "labels" && c.To == "VIP" && c.ChangedBy == Agent);
    }

    /// <summary>A customer who wrote on WeChat, with the phones and emails an agent then gave their profile.</summary>
    private static async Task<Guid> KnownAsync(IInboxStore store, string openId, string name, ContactPhone[] phones, ContactEmail[]? emails = null)
    {
        var customer = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WeChat, openId), name, T0);
        await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = name, Phones = phones, Emails = emails ?? [] }, null, T0);
        return customer.Id;
    }

    /// <summary>The reasons merge suggestions give for the pair, from the keys the store finds for <paramref name="customer"/>.</summary>
    private static async Task<IReadOnlyList<MatchReason>> SuggestedAsync(IInboxStore store, Guid customer, Guid other)
    {
        var keys = await Merges(store).FindMatchKeysAsync(Workspace, customer);
        var theirs = keys.Where(k => k.CustomerId == other).SelectMany(k => k.Keys).ToList();
        return CustomerMergeRules.Reasons(keys.Where(k => k.CustomerId == customer).SelectMany(k => k.Keys), theirs);
    }

    [SkippableFact]
    public async Task A_customer_an_import_creates_is_in_merge_suggestions_by_its_phones_emails_and_whatsapp_number()
    {
        var store = await CreateStoreAsync();
        var known = await KnownAsync(store, "o-ann", "Ann", [new ContactPhone("+8613800138000", true)], [new ContactEmail("ann@example.com", false)]);
        var import = await RunningAsync(store, Mapping(DedupeKeys.Identity));

        await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, "Ann Chen", email: "ANN@example.com", whatsApp: "+8613800138000")]));

        var imported = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10), p => p.Id != known);
        // The WhatsApp number is a verified key, as every channel identity is: the same verified phone as Ann's profile.
        Assert.Equal([new MatchReason(MatchKinds.VerifiedPhone, "+8613800138000", "+8613800138000")], await SuggestedAsync(store, known, imported.Id));
        // The imported email is a key too, unverified (so it is no reason by itself, as for any customer).
        var keys = (await Merges(store).FindMatchKeysAsync(Workspace, imported.Id)).Single(k => k.CustomerId == imported.Id).Keys;
        Assert.Contains(new MatchKey(MatchKey.Email, "ann@example.com", "ann@example.com", false, MatchKey.FromProfile), keys);
        Assert.Contains(known, (await Merges(store).ListSharedMatchKeysAsync(Workspace, null, 10)).SelectMany(s => s.Holders).Select(h => h.CustomerId));
    }

    [SkippableFact]
    public async Task A_whatsapp_number_an_import_adds_to_a_customer_it_updates_is_one_of_their_match_keys()
    {
        var store = await CreateStoreAsync();
        var known = await KnownAsync(store, "o-ann", "Ann", [new ContactPhone("+8613800138000", false)]);
        var other = await KnownAsync(store, "o-bob", "Bob", [new ContactPhone("+8613900139000", true)]);
        var import = await RunningAsync(store);

        var after = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, null, "+8613800138000", whatsApp: "+8613900139000")]));

        Assert.Equal(new ImportCounters(1, 0, 1, 0, 0), after!.Counters);
        Assert.Equal([new MatchReason(MatchKinds.VerifiedPhone, "+8613900139000", "+8613900139000")], await SuggestedAsync(store, known, other));
    }

    [SkippableFact]
    public async Task Dedupe_finds_a_phone_or_email_nobody_verified()
    {
        var store = await CreateStoreAsync();
        await KnownAsync(store, "o-ann", "Ann", [new ContactPhone("+8613800138000", false)], [new ContactEmail("Ann@Example.com", false)]);
        var byPhone = await RunningAsync(store);
        var phoneRun = await Imports(store).ApplyImportChunkAsync(Chunk(byPhone, "worker-1", 1, 2, [Row(1, null, "+8613800138000", company: "Acme")]));
        await Imports(store).FinishImportAsync(byPhone.Id, "worker-1", ImportStatuses.Completed, null, T0.AddMinutes(1));
        var byEmail = await RunningAsync(store, Mapping(DedupeKeys.Email));
        var emailRun = await Imports(store).ApplyImportChunkAsync(Chunk(byEmail, "worker-1", 1, 2, [Row(1, "Ann Chen", email: "ann@EXAMPLE.com")]));

        Assert.Equal(new ImportCounters(1, 0, 1, 0, 0), phoneRun!.Counters);
        Assert.Equal(new ImportCounters(1, 0, 1, 0, 0), emailRun!.Counters);
        var ann = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        Assert.Equal(("Ann Chen", "Acme"), (ann.Fields.Name, ann.Fields.Company));
    }

    [SkippableFact]
    public async Task Dedupe_meets_the_survivor_of_a_merge_and_never_the_customer_merged_away()
    {
        var store = await CreateStoreAsync();
        // The merged-away customer is the older one: a dedupe reading every customer's phones oldest first would meet it.
        var merged = await KnownAsync(store, "o-ann", "Ann (WeChat)", [new ContactPhone("+8613800138000", false)], [new ContactEmail("ann@example.com", false)]);
        var survivor = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+8613900139000"), "Ann", T0.AddMinutes(1));
        var before = (await Profiles(store).GetProfileAsync(Workspace, merged))!;
        var result = await Merges(store).MergeCustomersAsync(new MergeRequest(Workspace, survivor.Id, merged, 0, before.Version,
            new Dictionary<string, string> { ["name"] = MergeChoices.Survivor }, Agent, false, T0.AddMinutes(2)));
        Assert.Equal(MergeOutcome.Merged, result.Outcome);
        var import = await RunningAsync(store);

        var first = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, null, "+8613800138000", company: "Acme")]));

        // The survivor holds the merged customer's phone now (its own key): the row updates it.
        Assert.Equal(new ImportCounters(1, 0, 1, 0, 0), first!.Counters);
        Assert.Equal("Acme", (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!.Fields.Company);
        Assert.Null((await Profiles(store).GetProfileAsync(Workspace, merged))!.Fields.Company);

        // Once an agent takes the number off the survivor, only the merged-away customer's kept row lists it: the next row
        // with it is somebody new, not a change to a customer nobody sees.
        var now = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;
        await Profiles(store).UpdateProfileAsync(Workspace, survivor.Id, now.Version, now.Fields with { Phones = [] }, Agent, T0.AddMinutes(3));
        var second = await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 2, 3, [Row(2, "Someone", "+8613800138000", company: "Beta")]));

        Assert.Equal(new ImportCounters(2, 1, 1, 0, 0), second!.Counters);
        var keptAway = (await Profiles(store).GetProfileAsync(Workspace, merged))!;
        Assert.Equal(("Ann (WeChat)", null), (keptAway.Fields.Name, keptAway.Fields.Company));
        Assert.Equal(survivor.Id, await Merges(store).GetMergedIntoAsync(Workspace, merged));
    }

    [SkippableFact]
    public async Task A_cancelled_import_keeps_the_chunks_applied_before_and_applies_no_more()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store);
        await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 1, 2, [Row(1, "Ann", "+8613800138000")]));

        var cancelled = await Imports(store).CancelImportAsync(Workspace, import.Id, T0.AddMinutes(1));

        Assert.Equal(ImportStatuses.Cancelled, cancelled.Import!.Status);
        Assert.Null(await Imports(store).ApplyImportChunkAsync(Chunk(import, "worker-1", 2, 3, [Row(2, "Bob", "+8613900139000")])));
        Assert.False(await Imports(store).FinishImportAsync(import.Id, "worker-1", ImportStatuses.Completed, null, T0.AddMinutes(2)));
        Assert.Equal(["Ann"], (await Profiles(store).ListProfilesAsync(Workspace, null, 10)).Select(p => p.Fields.Name));
        Assert.Null(await Imports(store).ClaimImportAsync("worker-2", T0.AddHours(1), T0.AddHours(2)));
        Assert.Equal(ImportChangeOutcome.WrongStatus, (await Imports(store).CancelImportAsync(Workspace, import.Id, T0)).Outcome);
    }

    [SkippableFact]
    public async Task Only_the_worker_holding_the_lease_finishes_an_import()
    {
        var store = await CreateStoreAsync();
        var import = await RunningAsync(store);

        Assert.False(await Imports(store).FinishImportAsync(import.Id, "someone-else", ImportStatuses.Completed, null, T0));
        Assert.True(await Imports(store).FinishImportAsync(import.Id, "worker-1", ImportStatuses.Completed, null, T0.AddMinutes(1)));

        var finished = (await Imports(store).GetImportAsync(Workspace, import.Id))!;
        Assert.Equal(ImportStatuses.Completed, finished.Status);
        Assert.Equal(T0.AddMinutes(1), finished.FinishedAt);
        Assert.Null(await Imports(store).ClaimImportAsync("worker-2", T0.AddHours(1), T0.AddHours(2)));
    }
}

public sealed class SqliteCustomerImportStoreTests : CustomerImportStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    // Another store on the same file has its own writer connection: two processes.
    protected override Task<IInboxStore> OpenAgainAsync() => stores.CreateAsync();

    [Theory]
    [InlineData(nameof(SqliteInboxStore.NextQueuedImportSql), "SEARCH customer_imports USING INDEX ix_customer_imports_pending (status=?)")]
    [InlineData(nameof(SqliteInboxStore.NextAbandonedImportSql), "SEARCH customer_imports USING INDEX ix_customer_imports_pending (status=? AND lease_until<?)")]
    public async Task Workers_find_pending_imports_by_a_seek_not_a_scan_of_every_import(string query, string expectedSearch)
    {
        var plan = await PlanAsync(query);

        Assert.Equal(expectedSearch, plan[0]);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(SqliteInboxStore.ImportPhoneOwnersSql))]
    [InlineData(nameof(SqliteInboxStore.ImportEmailOwnersSql))]
    public async Task Dedupe_finds_phones_and_emails_by_a_seek_of_the_match_keys_not_a_scan_of_the_workspaces_customers(string query)
    {
        var plan = await PlanAsync(query);

        Assert.StartsWith("SEARCH k USING INDEX ix_customer_match_keys_value (workspace_id=? AND kind=? AND value=?)", plan[0]);
        Assert.Contains(plan, step => step.StartsWith("SEARCH c USING INDEX sqlite_autoindex_customers_1 (id=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN k", StringComparison.Ordinal) || step.StartsWith("SCAN c", StringComparison.Ordinal));
    }

    /// <summary>The steps of SQLite's plan for one of the store's queries (named by its constant), on a fresh store's file.</summary>
    private async Task<List<string>> PlanAsync(string query)
    {
        await stores.CreateAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={stores.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        if (sql.Contains("$now")) command.Parameters.AddWithValue("$now", 0L);

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        return plan;
    }

    public void Dispose() => stores.Dispose();
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set (a replica set: chunks are transactions); skipped otherwise.</summary>
public sealed class MongoCustomerImportStoreTests : CustomerImportStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override Task<IInboxStore> OpenAgainAsync() => stores.OpenLastAgainAsync();

    public void Dispose() => stores.Dispose();
}
