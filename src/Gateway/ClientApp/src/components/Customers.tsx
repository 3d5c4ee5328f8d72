import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import type { AttributeDefinition } from '../api/customers';
import type { Agent, ChannelConnection, Label } from '../api/types';
import { fieldCatalog, type FieldSpec } from '../logic/filters';
import { customersHref, importHref, segmentsHref, type CustomersView } from '../logic/route';
import { CustomerList } from './CustomerList';
import { CustomerProfilePage } from './CustomerProfilePage';
import { ImportWizard } from './ImportWizard';
import { MergeCustomers } from './MergeCustomers';
import { SegmentEditor, SegmentList } from './Segments';

/** What the customer screens look names and choices up in: the workspace's agents, labels, attributes, stages. */
export interface CustomerDirectory {
  me: Agent;
  agents: Agent[];
  labels: Label[];
  attributes: AttributeDefinition[];
  stages: string[] | null;
  connections: ChannelConnection[];
  catalog: FieldSpec[];
}

export function Customers({ me, route, reconnects }: { me: Agent; route: CustomersView; reconnects: number }) {
  const [sources, setSources] = useState<Omit<CustomerDirectory, 'catalog' | 'me'>>({ agents: [], labels: [], attributes: [], stages: null, connections: [] });

  useEffect(() => {
    const ignore = () => null;
    void Promise.all([
      api<Agent[]>('/api/agents').catch(ignore),
      api<Label[]>('/api/labels').catch(ignore),
      api<AttributeDefinition[]>('/api/customer-attributes').catch(ignore),
      api<{ stages: string[] }>('/api/customer-lifecycle-stages').catch(ignore),
      me.role === 'agent' ? Promise.resolve(null) : api<ChannelConnection[]>('/api/channel-connections').catch(ignore),
    ]).then(([agents, labels, attributes, stages, connections]) => setSources({
      agents: agents ?? [], labels: labels ?? [], attributes: attributes ?? [], stages: stages?.stages ?? null, connections: connections ?? [],
    }));
  }, [me]);

  const directory = useMemo<CustomerDirectory>(() => ({
    ...sources, me,
    catalog: fieldCatalog({ ...sources, stages: sources.stages ?? undefined }),
  }), [sources, me]);

  const section = route.view === 'segments' || route.view === 'segment' ? 'segments' : route.view === 'import' ? 'import' : 'customers';
  return (
    <main id="main" tabIndex={-1} className="customers">
      <nav aria-label="Customer screens" className="sub-nav">
        <a href={customersHref} aria-current={section === 'customers' ? 'page' : undefined}>Customers</a>
        <a href={segmentsHref} aria-current={section === 'segments' ? 'page' : undefined}>Segments</a>
        <a href={importHref(null)} aria-current={section === 'import' ? 'page' : undefined}>Import</a>
      </nav>
      <div className="customers-body">
        {route.view === 'list' && <CustomerList directory={directory} />}
        {route.view === 'profile' && <CustomerProfilePage key={route.customerId} customerId={route.customerId} directory={directory} reconnects={reconnects} />}
        {route.view === 'merge' && <MergeCustomers key={route.customerId} customerId={route.customerId} otherId={route.otherId} directory={directory} />}
        {route.view === 'segments' && <SegmentList />}
        {route.view === 'segment' && <SegmentEditor key={route.segmentId ?? 'new'} segmentId={route.segmentId} directory={directory} />}
        {route.view === 'import' && <ImportWizard key={route.importId ?? 'new'} importId={route.importId} directory={directory} />}
      </div>
    </main>
  );
}
