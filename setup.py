"Packaging for curriculum_lab: everything is read from settings.ini (nbdev 2 layout)."
from configparser import ConfigParser
import setuptools, shlex

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

expected = 'version description keywords author author_email'.split()
missing = [o for o in expected if o not in cfg]
if missing: raise SystemExit(f'settings.ini is missing: {missing}')

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable',
            '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

def reqs(key): return shlex.split(cfg.get(key, ''))

lic = licenses.get(cfg['license'].lower(), (cfg['license'], None))
min_python = cfg['min_python']

setuptools.setup(
    name=cfg['lib_name'],
    license=lic[0],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
                + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]]
                + (['License :: ' + lic[1]] if lic[1] else []),
    url=cfg['git_url'],
    # the shipped experiment specs, curricula and stage notebooks install inside the package (config.shipped_dir finds them)
    packages=setuptools.find_packages(include=['curriculum_lab', 'curriculum_lab.*'])
             + ['curriculum_lab.papermill_runs', 'curriculum_lab.nbs'],
    package_dir={'curriculum_lab.papermill_runs': 'papermill_runs', 'curriculum_lab.nbs': 'nbs'},
    package_data={'curriculum_lab.papermill_runs': ['*.yaml', 'curricula/*.yaml'], 'curriculum_lab.nbs': ['[0-9]*.ipynb']},
    include_package_data=True,
    install_requires=reqs('requirements'),
    extras_require={'dev': reqs('dev_requirements'), 'gpu': reqs('gpu_requirements'), 'serving': reqs('serving_requirements')},
    dependency_links=cfg.get('dep_links', '').split(),
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read() if __import__('os').path.exists('README.md') else '',
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    version=cfg['version'],
    description=cfg['description'],
    keywords=cfg['keywords'],
    author=cfg['author'],
    author_email=cfg['author_email'],
)
