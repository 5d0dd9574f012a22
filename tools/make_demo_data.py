"""Generate the embedded synthetic demo dataset (deterministic).

    python tools/make_demo_data.py data/demo [--num-source 48] [--num-target 12]
"""
import argparse
import os.path as osp


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', nargs='?', default='data/demo')
    parser.add_argument('--num-source', type=int, default=48)
    parser.add_argument('--num-target', type=int, default=12)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    stamp = osp.join(args.root, f'.complete_{args.num_source}_{args.num_target}_{args.seed}')
    if osp.exists(stamp):
        print(f'demo data already in {args.root}')
        return
    from deft_mmseg.demo import generate_demo_dataset  # after the arguments: --help at once
    folders = generate_demo_dataset(args.root, args.num_source, args.num_target, seed=args.seed)
    open(stamp, 'w').close()
    print('demo data written: ' + ', '.join(f'{k} -> {v}' for k, v in folders.items()))


if __name__ == '__main__':
    main()
