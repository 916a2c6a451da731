#!/usr/bin/env python3
"""Import circles between the modules of each crate (docs/DESIGN.md, dependency rules).

A module depends on another when its non-test code names `crate::other` (or
`super::other`); the strongly connected components of that graph larger than one module
are circles. Prints each crate's circles; exits 1 if there is any. Run by `make test`.
"""
import os,re,sys,itertools
root=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','crates')
found=False
for crate in sorted(os.listdir(root)):
    src=os.path.join(root,crate,'src')
    if not os.path.isdir(src): continue
    mods={}
    for dp,dn,fn in os.walk(src):
        for f in fn:
            if not f.endswith('.rs'): continue
            p=os.path.join(dp,f)
            rel=os.path.relpath(p,src)[:-3]
            if rel in ('lib','main'): name='crate'
            else:
                name=rel.replace('/mod','').replace('/','::')
            mods[name]=open(p).read()
    # strip test modules
    edges={m:set() for m in mods}
    for m,t in mods.items():
        t=t.split('#[cfg(test)]')[0]
        for ref in re.findall(r'crate::([a-z_0-9]+(?:::[a-z_0-9]+)*)',t):
            parts=ref.split('::')
            # find longest module prefix
            for n in range(len(parts),0,-1):
                cand='::'.join(parts[:n])
                if cand in mods and cand!=m:
                    edges[m].add(cand); break
        # super:: references
        if '::' in m or m!='crate':
            parent='::'.join(m.split('::')[:-1]) or 'crate'
            for ref in re.findall(r'super::([a-z_0-9]+)',t):
                cand=(parent+'::'+ref) if parent!='crate' else ref
                if cand in mods and cand!=m: edges[m].add(cand)
    # find cycles (ignoring 'crate' root which re-exports)
    edges.pop('crate',None)
    for m in edges: edges[m].discard('crate')
    # Tarjan SCC
    index={};low={};st=[];on=set();sccs=[];i=[0]
    sys.setrecursionlimit(10000)
    def sc(v):
        index[v]=low[v]=i[0];i[0]+=1;st.append(v);on.add(v)
        for w in edges.get(v,()):
            if w not in index: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],index[w])
        if low[v]==index[v]:
            c=[]
            while True:
                w=st.pop();on.discard(w);c.append(w)
                if w==v:break
            if len(c)>1: sccs.append(c)
    for v in edges:
        if v not in index: sc(v)
    if sccs:
        found=True
        print(crate, 'import circles:', sccs)
if found:
    sys.exit(1)
print('no import circle in any crate')
